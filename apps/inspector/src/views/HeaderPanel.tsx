import { KNOWN_LEVELS, REPLAYABLE_SCHEMA_VERSIONS, type TraceHeader } from '@kvtrace/trace';
import { useMemo, useState } from 'react';
import { formatBytes, formatWall } from '../model/format.ts';
import type { TraceInfo } from '../model/session.ts';
import { serverHue } from './servers.ts';

function prettyConfig(json: string): { text: string; ok: boolean } {
  if (json === '') return { text: '', ok: true };
  try {
    return { text: JSON.stringify(JSON.parse(json) as unknown, null, 2), ok: true };
  } catch {
    return { text: json, ok: false };
  }
}

/**
 * The trace header: level, versions, recording start, the storage config and its digest check.
 * Several traces open as one: each trace's header under its server name, with its files (a
 * rotated recording's segments, and the ones the set lacks).
 */
export function HeaderPanel({ header, name, totalBytes, traces = [] }: { header: TraceHeader; name: string | null; totalBytes: number | null; traces?: readonly TraceInfo[] }) {
  const [open, setOpen] = useState(true);
  const several = traces.length > 1 || (traces[0]?.files.length ?? 0) > 1;
  return (
    <section className="panel header-panel" aria-label="Trace header" data-testid="header-panel">
      <h2 className="panel-title">
        <button type="button" className="twisty" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        {traces.length > 1 ? `Headers (${traces.length} traces)` : 'Header'}
      </h2>
      {open &&
        (several ? (
          traces.map((t, i) => (
            <div key={t.server || i} className="trace-header" data-testid="trace-header" data-server={t.server}>
              {traces.length > 1 && (
                <h3 className="sub-title">
                  <span className="server-chip" style={{ ['--hue' as string]: serverHue(i) }}>
                    {t.server}
                  </span>
                </h3>
              )}
              <dl className="facts">
                <dt>{t.files.length > 1 ? 'segments' : 'file'}</dt>
                <dd className="mono wrap" data-testid="trace-files">
                  {t.files.join(', ')}
                  {t.missing.length > 0 && (
                    <span className="badge badge-warn" title="Segments between the first and the last given are not in the set: their calls are not shown">
                      missing {t.missing.join(', ')}
                    </span>
                  )}
                </dd>
              </dl>
              <HeaderFacts header={t.header} configOpen={traces.length === 1} />
            </div>
          ))
        ) : (
          <>
            {name && (
              <dl className="facts">
                <dt>file</dt>
                <dd className="mono wrap">
                  {name}
                  {totalBytes !== null ? ` · ${formatBytes(totalBytes)}` : ''}
                </dd>
              </dl>
            )}
            <HeaderFacts header={header} configOpen />
          </>
        ))}
    </section>
  );
}

/** One header's fields; `configOpen`: the storage config shown unfolded. */
function HeaderFacts({ header, configOpen }: { header: TraceHeader; configOpen: boolean }) {
  const config = useMemo(() => prettyConfig(header.sm_config_json), [header.sm_config_json]);
  const noConfig = header.sm_config_json === '' && header.sm_config_digest === '';
  return (
    <>
      <dl className="facts">
        <dt>level</dt>
        <dd data-testid="header-level">
          {header.level} {!KNOWN_LEVELS.includes(header.level) && <span className="badge badge-warn">unknown level</span>}
        </dd>
        <dt>format</dt>
        <dd>v{header.format_version}</dd>
        <dt>schema</dt>
        <dd data-testid="header-schema">
          v{header.trace_schema_version}{' '}
          {REPLAYABLE_SCHEMA_VERSIONS.includes(header.trace_schema_version) ? (
            <span className="badge badge-ok">replayable</span>
          ) : (
            <span className="badge badge-warn" title="v1 recorded ObjectKey without cache_salt">
              read-only
            </span>
          )}
        </dd>
        <dt>recording start</dt>
        <dd data-testid="header-start" title={`t_wall_start = ${header.t_wall_start}`}>
          {formatWall(header.t_wall_start)}
        </dd>
        <dt>config digest</dt>
        <dd data-testid="header-digest">
          {noConfig ? (
            <span className="badge">no config recorded</span>
          ) : header.digest_valid ? (
            <span className="badge badge-ok">SHA-256 matches</span>
          ) : (
            <span className="badge badge-err">SHA-256 mismatch</span>
          )}{' '}
          {header.sm_config_digest && (
            <span className="mono muted digest" title={header.sm_config_digest}>
              {header.sm_config_digest.slice(0, 16)}…
            </span>
          )}
        </dd>
        {header.level_meta && (
          <>
            <dt>level meta</dt>
            <dd className="mono wrap">{JSON.stringify(header.level_meta)}</dd>
          </>
        )}
      </dl>
      {config.text && (
        <details className="config" open={configOpen}>
          <summary>storage config{config.ok ? '' : ' (not valid JSON)'}</summary>
          <pre className="config-json" data-testid="header-config">
            {config.text}
          </pre>
        </details>
      )}
    </>
  );
}
