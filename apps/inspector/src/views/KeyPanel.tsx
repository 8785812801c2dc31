import type { AnalysisState } from '../model/analysis.ts';
import { formatCount, formatDuration } from '../model/format.ts';
import type { RecordStore } from '../model/record-store.ts';
import { CallLink } from './CallLink.tsx';
import { FLAG_TEXT } from './flag-text.ts';
import { useExternal } from './use-external.ts';

const rankText = (world: number, g: number, lw: number, l: number) => `rank ${g}/${world} (local ${l}/${lw})`;

/** "Follow this key": the key, the requests that touched it (what became of the key in each, their phases), and its flags. */
export function KeyPanel({ analysis, store, onJump }: { analysis: AnalysisState; store: RecordStore; onJump(call: number): void }) {
  const a = useExternal(analysis);
  const k = a.key;
  if (a.filters.keyId === null) return <p className="muted panel-hint">Follow a key from the argument view (the “follow” button on an ObjectKey) or from a flag.</p>;
  if (!k) return <p className="muted panel-hint">Loading the key…</p>;
  const i = k.info;
  const t = (c: number) => (c >= 0 && c < store.length ? store.tMono[c]! : NaN);
  return (
    <div className="key-view" data-testid="key-view" data-key={i.keyId}>
      <dl className="facts">
        {k.server !== '' && (
          <>
            <dt>server</dt>
            <dd className="mono" data-testid="key-server" title="Each server is its own storage manager: this is its key, apart from the same ObjectKey on another server">
              {k.server}
            </dd>
          </>
        )}
        <dt>chunk_hash</dt>
        <dd className="mono wrap">{i.hashHex}</dd>
        <dt>model</dt>
        <dd>{i.modelName}</dd>
        <dt>kv_rank</dt>
        <dd>{rankText(i.world, i.globalRank, i.localWorld, i.localRank)}</dd>
        {i.objectGroupId !== 0 && (
          <>
            <dt>group</dt>
            <dd>{i.objectGroupId}</dd>
          </>
        )}
        {i.cacheSalt !== '' && (
          <>
            <dt>salt</dt>
            <dd className="mono">{JSON.stringify(i.cacheSalt)}</dd>
          </>
        )}
        <dt>calls</dt>
        <dd>{formatCount(i.calls)} (the table shows them)</dd>
      </dl>
      {k.timeline.flags.length > 0 && (
        <ul className="key-flags">
          {k.timeline.flags.map((f, n) => (
            <li key={n} className={`flag-inline flag-${FLAG_TEXT[f.kind].severity}`} data-flag={f.kind} title={FLAG_TEXT[f.kind].rule}>
              <span className={`badge badge-${FLAG_TEXT[f.kind].severity}`}>{FLAG_TEXT[f.kind].title}</span>
              {f.calls.map((c) => (
                <CallLink key={c} store={store} call={c} onJump={onJump} />
              ))}
            </li>
          ))}
        </ul>
      )}
      <h3 className="sub-title">Requests ({k.timeline.spans.length})</h3>
      <ol className="lifecycle-list">
        {k.timeline.spans.map((sp) => {
          const [c0, c1, c2, c3] = sp.calls;
          const durations: [string, number][] =
            sp.kind === 'write'
              ? [['write', t(c1 ?? -1) - t(c0 ?? -1)]]
              : [
                  ['wait', t(c1 ?? -1) - t(c0 ?? -1)],
                  ['read', t(c2 ?? -1) - t(c1 ?? -1)],
                  ['release', t(c3 ?? -1) - t(c2 ?? -1)],
                ];
          const open = sp.keyFate === 'held' || sp.keyFate === 'undecided' || sp.keyFate === 'pending';
          return (
            <li key={sp.span} className={`lifecycle ${open ? 'is-open' : ''}`} data-kind={sp.kind} data-fate={sp.keyFate}>
              <span className={`badge ${sp.keyFate === 'held' ? 'badge-err' : open ? 'badge-warn' : 'badge-ok'}`} title={`this key in the request: ${sp.keyFate}; the request: ${sp.status}`}>
                {sp.kind} · {sp.keyFate}
              </span>
              <span className="lifecycle-calls">
                {sp.calls
                  .filter((c) => c >= 0)
                  .map((c) => (
                    <CallLink key={c} store={store} call={c} onJump={onJump} />
                  ))}
              </span>
              <span className="lifecycle-durations muted">
                {durations
                  .filter(([, d]) => Number.isFinite(d))
                  .map(([name, d]) => `${name} ${formatDuration(d)}`)
                  .join(' · ')}
              </span>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
