import { FLAG_KINDS, type FlagGroup, type FlagKind, type PhaseName } from '@kvtrace/trace';
import { useEffect } from 'react';
import type { AnalysisState } from '../model/analysis.ts';
import { formatCount, formatDuration } from '../model/format.ts';
import type { RequestRow } from '../model/queries.ts';
import type { RecordStore } from '../model/record-store.ts';
import { CallLink } from './CallLink.tsx';
import { DataTable, type Column } from './DataTable.tsx';
import { FLAG_TEXT, PHASE_FIELD, PHASE_TEXT } from './flag-text.ts';
import { Kpi } from './Kpi.tsx';
import { PhaseHistogram } from './PhaseHistogram.tsx';
import { PhaseTable } from './PhaseTable.tsx';
import { brushQuery } from './phase-query.ts';
import { requestDurationText } from './span-text.ts';
import { useExternal } from './use-external.ts';

/** Calls listed per flag group before "and N more". */
const CALLS_SHOWN = 6;
/** Requests shown in the slowest list (the worker sends up to REQUEST_LIMIT). */
const ROWS_SHOWN = 50;

/**
 * Requests over the whole trace (libs/trace request analysis): how many read requests found what,
 * the locks still held or undecided at the end, each phase's latency (a histogram to brush into a
 * filter), the flags with the rule each one applies, and the slowest requests as spans.
 */
export function RequestsPanel({ analysis, store, onJump }: { analysis: AnalysisState; store: RecordStore; onJump(call: number): void }) {
  const a = useExternal(analysis);
  const report = a.requests;
  useEffect(() => {
    if (!report) analysis.refreshRequests();
  }, [analysis, report]);
  if (!report) return <p className="muted panel-hint">Pairing calls into requests…</p>;
  const s = report.summary;
  const r = s.requests, l = s.lifecycles;
  const brush = (phase: PhaseName) => (lo: number, hi: number | null) => analysis.setFilters({ text: brushQuery(a.filters.text, PHASE_FIELD[phase]!, lo, hi) });
  const byKind = new Map<FlagKind, FlagGroup[]>();
  for (const g of report.groups) byKind.set(g.kind, [...(byKind.get(g.kind) ?? []), g]);
  const flagged = FLAG_KINDS.filter((k) => s.flagCounts[k] > 0);
  return (
    <div className="requests" data-testid="requests">
      <div className="kpis">
        <Kpi label="read requests" value={formatCount(r.total)} />
        <Kpi label="with hits" value={formatCount(r.with_hits)} />
        <Kpi label="all miss" value={formatCount(r.all_miss)} title="proven to have found nothing" />
        <Kpi label="writes" value={formatCount(r.writes)} />
      </div>
      <h3 className="sub-title">Locks at the end of the trace</h3>
      <div className="kpis" data-testid="lock-kpis">
        <Kpi label="read locks leaked" value={formatCount(l.reads_leaked)} tone={l.reads_leaked > 0 ? 'err' : undefined} title={FLAG_TEXT.read_leaked.rule} />
        <Kpi label="read locks undecided" value={formatCount(l.reads_undecided)} tone={l.reads_undecided > 0 ? 'warn' : undefined} title={FLAG_TEXT.read_undecided.rule} />
        <Kpi label="write locks undecided" value={formatCount(l.writes_undecided)} tone={l.writes_undecided > 0 ? 'warn' : undefined} title={FLAG_TEXT.write_undecided.rule} />
        <Kpi label="keys missed" value={formatCount(l.misses)} title="keys a request submitted and did not find (not a leak)" />
      </div>
      <p className="muted panel-hint">
        {formatCount(l.reads_paired)} read and {formatCount(l.writes_paired)} write key locks taken and given back; {formatCount(l.writes_refused)} reservations refused. Leaked and undecided count keys.
      </p>
      {r.unpaired_reads > 0 && (
        <p className="muted panel-hint" data-testid="unpaired-reads">
          {formatCount(r.unpaired_reads)} reads were made by one of several identical requests in flight but could not be paired with one: not anomalies, and counted in the locks above.
        </p>
      )}
      <h3 className="sub-title">Phase latency (one per request)</h3>
      <PhaseTable
        phases={s.phases}
        figures={['p50', 'p99', 'max']}
        extra={{ head: 'distribution (drag to filter)', cellClassName: 'hist-cell', cell: (p) => s.phases[p].count > 0 && <PhaseHistogram hist={report.histograms[p]} label={PHASE_TEXT[p]} onBrush={brush(p)} /> }}
        className="phase-table"
      />
      <h3 className="sub-title">
        Flags {flagged.length === 0 ? <span className="badge badge-ok">none</span> : <span className="badge badge-warn">{flagged.length} kinds</span>}
      </h3>
      {flagged.length === 0 && <p className="muted panel-hint">{r.unpaired_reads > 0 ? 'No lock left held or undecided, no call that pairs with nothing.' : 'Every request pairs up: no lock left held or undecided, no call that pairs with nothing.'}</p>}
      {flagged.map((k) => {
        const groups = byKind.get(k) ?? [];
        const t = FLAG_TEXT[k];
        return (
          <section key={k} className={`flag-kind flag-${t.severity}`} data-flag={k} aria-label={t.title}>
            <header className="flag-head">
              <span className={`badge badge-${t.severity}`} data-testid="flag-count">
                {formatCount(s.flagCounts[k])} key{s.flagCounts[k] === 1 ? '' : 's'}
              </span>
              <strong>{t.title}</strong>
            </header>
            <p className="muted flag-rule">{t.rule}</p>
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
      <h3 className="sub-title">Slowest requests</h3>
      <SlowestTable rows={report.slowest.slice(0, ROWS_SHOWN)} onJump={onJump} />
      {s.unknownShape > 0 && <p className="muted">{formatCount(s.unknownShape)} lock calls had no recognisable keys and were left out.</p>}
    </div>
  );
}

const STATUS_TONE: Record<string, string> = { leaked: 'err', undecided: 'warn' };

function SlowestTable({ rows, onJump }: { rows: RequestRow[]; onJump(call: number): void }) {
  if (rows.length === 0) return <p className="muted panel-hint">No requests in this trace.</p>;
  const columns: Column<RequestRow>[] = [
    {
      head: 'request',
      cellClassName: 'request-id',
      cell: (q) => (
        <span title={q.server ? `on ${q.server}` : undefined}>
          <span className="muted">{q.kind}</span> {q.externalRequestId || `#${q.span}`}
          {q.server && <span className="muted"> · {q.server}</span>}
        </span>
      ),
    },
    { head: 'status', cell: (q) => <span className={`badge badge-${STATUS_TONE[q.status] ?? 'ok'}`}>{q.status}</span> },
    { head: 'hits', title: 'keys found (read or finished) / submitted', num: true, cell: (q) => `${q.found < 0 ? '?' : q.found}/${q.keys}` },
    { head: 'wait', num: true, cell: (q) => formatDuration(q.phases.read_wait ?? NaN) },
    { head: 'read', num: true, cell: (q) => formatDuration(q.phases.read_body ?? NaN) },
    { head: 'release', num: true, cell: (q) => formatDuration(q.phases.read_release ?? NaN) },
    // The same words as the call table's duration column for a request without an end.
    { head: 'total', num: true, cell: (q) => requestDurationText(q.duration, q.status) },
  ];
  return (
    <DataTable
      columns={columns}
      rows={rows}
      rowKey={(q) => q.span}
      rowProps={(q) => ({ className: 'is-link', 'data-kind': q.kind, 'data-status': q.status, onClick: () => onJump(q.calls[0]!), title: 'Jump to its first call' })}
      className="request-table"
      testId="request-table"
    />
  );
}
