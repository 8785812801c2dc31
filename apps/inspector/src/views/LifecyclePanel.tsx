import { FLAG_KINDS, type FlagGroup, type FlagKind } from '@kvtrace/trace';
import { useEffect } from 'react';
import type { AnalysisState } from '../model/analysis.ts';
import { formatCount } from '../model/format.ts';
import type { RecordStore } from '../model/record-store.ts';
import { CallLink } from './CallLink.tsx';
import { FLAG_TEXT } from './flag-text.ts';
import { PhaseTable } from './PhaseTable.tsx';
import { useExternal } from './use-external.ts';

/** Calls listed per flag before "and N more". */
const CALLS_SHOWN = 6;

/**
 * Key lifecycles over the whole trace: pairing totals, per-phase durations, and the flags of what
 * looks wrong, each listing its calls (click to jump) and its keys (click to follow one).
 */
export function LifecyclePanel({ analysis, store, onJump }: { analysis: AnalysisState; store: RecordStore; onJump(call: number): void }) {
  const a = useExternal(analysis);
  const report = a.lifecycles;
  useEffect(() => {
    if (!report) analysis.refreshLifecycles();
  }, [analysis, report]);
  if (!report) return <p className="muted panel-hint">Pairing calls by key…</p>;
  const s = report.summary;
  const byKind = new Map<FlagKind, FlagGroup[]>();
  for (const g of report.groups) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g]);
  const total = FLAG_KINDS.reduce((n, k) => n + s.flagCounts[k], 0);
  return (
    <div className="lifecycles" data-testid="lifecycles">
      <div className="kpis">
        <Kpi label="writes paired" value={formatCount(s.writes.complete)} />
        <Kpi label="writes open" value={formatCount(s.writes.open)} tone={s.writes.open > 0 ? 'err' : undefined} />
        <Kpi label="reads paired" value={formatCount(s.reads.complete)} />
        <Kpi label="reads open" value={formatCount(s.reads.open)} tone={s.reads.open > 0 ? 'err' : undefined} />
      </div>
      <h3 className="sub-title">Phase durations</h3>
      <PhaseTable phases={s.phases} showMax />
      <h3 className="sub-title">
        Flags {total === 0 ? <span className="badge badge-ok">none</span> : <span className="badge badge-err">{formatCount(total)} keys</span>}
      </h3>
      {total === 0 && <p className="muted panel-hint">Every lifecycle pairs up: no leaked locks, no reads of unwritten keys.</p>}
      {FLAG_KINDS.filter((k) => s.flagCounts[k] > 0).map((k) => {
        const groups = byKind.get(k) ?? [];
        const t = FLAG_TEXT[k];
        return (
          <section key={k} className={`flag-kind flag-${t.severity}`} data-flag={k} aria-label={t.title}>
            <header className="flag-head">
              <span className={`badge badge-${t.severity}`}>{formatCount(s.flagCounts[k])}</span>
              <strong>{t.title}</strong>
              <span className="muted flag-hint">{t.hint}</span>
            </header>
            <ul className="flag-groups">
              {groups.map((g, i) => (
                <li key={i} className="flag-group" data-testid="flag-group">
                  <span className="flag-keys">
                    {g.keyIds.length} key{g.keyIds.length === 1 ? '' : 's'}
                    <button type="button" className="link" onClick={() => analysis.setFilters({ keyId: g.keyIds[0]! })} title="Show every call touching the first key">
                      follow key
                    </button>
                  </span>
                  <span className="flag-calls">
                    {g.calls.slice(0, CALLS_SHOWN).map((c) => (
                      <CallLink key={c} store={store} call={c} onJump={onJump} />
                    ))}
                    {g.calls.length > CALLS_SHOWN && <span className="muted">+{g.calls.length - CALLS_SHOWN} more</span>}
                  </span>
                </li>
              ))}
              {groups.length === 0 && <li className="muted">(listing limited; see the other kinds)</li>}
            </ul>
          </section>
        );
      })}
      {s.unknownShape > 0 && <p className="muted">{formatCount(s.unknownShape)} lifecycle calls had no recognisable keys and were not paired.</p>}
    </div>
  );
}

export function Kpi({ label, value, tone }: { label: string; value: string; tone?: 'err' | 'warn' | undefined }) {
  return (
    <div className={`kpi${tone ? ` kpi-${tone}` : ''}`}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}
