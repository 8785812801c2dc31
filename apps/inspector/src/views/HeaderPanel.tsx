import { KNOWN_LEVELS, REPLAYABLE_SCHEMA_VERSIONS, type TraceHeader } from '@kvtrace/trace';
import { useMemo, useState } from 'react';
import { formatBytes, formatWall } from '../model/format.ts';

function prettyConfig(json: string): { text: string; ok: boolean } {
  if (json === '') return { text: '', ok: true };
  try {
    return { text: JSON.stringify(JSON.parse(json) as unknown, null, 2), ok: true };
  } catch {
    return { text: json, ok: false };
  }
}

/** The trace header: level, versions, recording start, the storage config and its digest check. */
export function HeaderPanel({ header, name, totalBytes }: { header: TraceHeader; name: string | null; totalBytes: number | null }) {
  const [open, setOpen] = useState(true);
  const config = useMemo(() => prettyConfig(header.sm_config_json), [header.sm_config_json]);
  const noConfig = header.sm_config_json === '' && header.sm_config_digest === '';
  return (
    <section className="panel header-panel" aria-label="Trace header" data-testid="header-panel">
      <h2 className="panel-title">
        <button type="button" className="twisty" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
        Header
      </h2>
      {open && (
        <>
          <dl className="facts">
            {name && (
              <>
                <dt>file</dt>
                <dd className="mono wrap">
                  {name}
                  {totalBytes !== null ? ` · ${formatBytes(totalBytes)}` : ''}
                </dd>
              </>
            )}
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
            <details className="config" open>
              <summary>storage config{config.ok ? '' : ' (not valid JSON)'}</summary>
              <pre className="config-json" data-testid="header-config">
                {config.text}
              </pre>
            </details>
          )}
        </>
      )}
    </section>
  );
}
