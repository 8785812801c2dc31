import { compareStats, FLAG_KINDS, type FlagKind, type MetricDiff, type StatsComparison } from '@kvtrace/trace';
import { useEffect, useMemo, useRef } from 'react';
import type { Inspector } from '../inspector.ts';
import type { CompareSource } from '../model/link-state.ts';
import { formatCount, formatDuration, formatRate } from '../model/format.ts';
import { DataTable, type Column } from './DataTable.tsx';
import { FLAG_TEXT, PHASE_TEXT } from './flag-text.ts';
import { Kpi } from './Kpi.tsx';
import { compactMethodName, methodHue } from './methods.ts';
import { useServerTraces } from './TraceMenu.tsx';
import { useExternal } from './use-external.ts';

/**
 * Compares the open trace (A) with a second one (B), loaded by its own worker and analyzer:
 * per-method counts, shares, rates and keys per call, lifecycle phase durations and flags, with
 * the differences compareStats finds notable highlighted.
 */
export function ComparePanel({ inspector, onCompare }: { inspector: Inspector; onCompare(source: CompareSource | null): void }) {
  const other = inspector.compare;
  const bSnap = useExternal(other.session);
  const b = useExternal(other.analysis);
  const a = useExternal(inspector.analysis);
  const list = useServerTraces(0);
  const fileRef = useRef<HTMLInputElement>(null);
  const bIndexed = b.index?.done === true;
  const aIndexed = a.index?.done === true;

  useEffect(() => {
    if (aIndexed && !a.stats) inspector.analysis.refreshStats();
  }, [aIndexed, a.stats, inspector]);
  useEffect(() => {
    if (bIndexed && !b.stats) other.analysis.refreshStats();
  }, [bIndexed, b.stats, other]);

  const cmp = useMemo<StatsComparison | null>(() => (a.stats && b.stats ? compareStats(a.stats, b.stats) : null), [a.stats, b.stats]);
  const nameA = inspector.session.getSnapshot().name ?? 'A';

  return (
    <section className="panel compare" aria-label="Compare" data-testid="compare">
      <h2 className="panel-title">Compare with another trace</h2>
      <div className="compare-pick">
        <span className="muted">B:</span>
        <button type="button" className="btn btn-small" onClick={() => fileRef.current?.click()}>
          Open file…
        </button>
        {list.status === 'ok' && (
          <select
            className="select"
            aria-label="Server trace to compare with"
            value=""
            onChange={(e) => {
              const name = e.currentTarget.value;
              if (!name) return;
              other.openServerTrace(name);
              onCompare({ kind: 'server', name });
            }}
          >
            <option value="">server trace…</option>
            {list.recordings.flatMap((r) => r.files).map((t) => (
              <option key={t.name} value={t.name}>
                {t.name}
              </option>
            ))}
          </select>
        )}
        <input
          ref={fileRef}
          type="file"
          hidden
          data-testid="compare-file-input"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) {
              other.openFile(f);
              // A local file cannot travel in a link.
              onCompare(null);
            }
            e.currentTarget.value = '';
          }}
        />
        {bSnap.name && <span className="mono compare-name">{bSnap.name}</span>}
        {bSnap.state === 'loading' && <span className="badge badge-info">loading {formatCount(bSnap.progress.records)}…</span>}
        {bSnap.state !== 'loading' && bSnap.state !== 'empty' && !bIndexed && bSnap.state !== 'failed' && <span className="badge badge-info">indexing…</span>}
        {bSnap.state === 'failed' && <span className="badge badge-err">{bSnap.error?.message}</span>}
      </div>
      {!cmp ? (
        <p className="muted panel-hint">{bSnap.state === 'empty' ? 'Pick a second trace (B) to compare with this one (A).' : 'Waiting for both traces to be indexed…'}</p>
      ) : (
        <CompareTables cmp={cmp} nameA={nameA} nameB={bSnap.name ?? 'B'} />
      )}
    </section>
  );
}

const pct = (d: MetricDiff) => (d.rel === null ? (d.a === 0 && d.b !== 0 ? 'new' : '') : `${d.rel >= 0 ? '+' : ''}${(d.rel * 100).toFixed(0)}%`);

/** A change; when `worseUp` (durations, flags) a notable rise is red and a fall green, else neutral. */
function Delta({ d, worseUp = false }: { d: MetricDiff; worseUp?: boolean }) {
  const up = d.abs > 0;
  const tone = !d.notable ? '' : !worseUp ? ' is-notable' : up ? ' is-up' : ' is-down';
  return (
    <span className={`delta${tone}`}>
      {d.notable && d.abs !== 0 ? (up ? '▲ ' : '▼ ') : ''}
      {pct(d)}
    </span>
  );
}

/**
 * A method name that may wrap after its dots (`read_prefetched.` / `__enter__`) in a narrow column,
 * instead of being cut where the two context-manager methods differ.
 */
function breakable(name: string) {
  const parts = name.split('.');
  return parts.map((p, i) => (
    <span key={i}>
      {p}
      {i < parts.length - 1 && (
        <>
          .<wbr />
        </>
      )}
    </span>
  ));
}

/** A rate without a unit word: "46/s", "1.2k/s". */
const perSecond = (r: number): string => formatRate(r, '').replace(' /s', '/s');

/** "A → B", the B part wrapping under A when the column is narrow (the table then fits its card). */
function AB({ a, b }: { a: string; b: string }) {
  return (
    <span className="ab">
      {a} <span className="ab-b">→ {b}</span>
    </span>
  );
}

type MethodDiff = StatsComparison['methods'][number];
type PhaseDiff = StatsComparison['phases'][number];

/** A figure of A and B in one cell, and its change in the next. */
function abColumns<R>(head: string, d: (r: R) => MetricDiff, text: (v: number) => string, worseUp = false): Column<R>[] {
  return [
    { head: `${head} A → B`, num: true, cell: (r) => <AB a={text(d(r).a)} b={text(d(r).b)} /> },
    { head: 'Δ', num: true, cell: (r) => <Delta d={d(r)} worseUp={worseUp} /> },
  ];
}

const methodColumns: Column<MethodDiff>[] = [
  {
    head: 'method',
    cell: (m) => (
      <>
        <span className="method-chip" style={{ ['--hue' as string]: methodHue(m.qualname) }} title={m.qualname}>
          {breakable(compactMethodName(m.qualname))}
        </span>
        {m.onlyIn && <span className="badge badge-warn">only in {m.onlyIn.toUpperCase()}</span>}
      </>
    ),
  },
  { head: 'count A', num: true, cell: (m) => formatCount(m.count.a) },
  { head: 'count B', num: true, cell: (m) => formatCount(m.count.b) },
  { head: 'Δ', num: true, cell: (m) => <Delta d={m.count} /> },
  ...abColumns<MethodDiff>('calls/s', (m) => m.rate, perSecond),
  { head: 'keys p50 A → B', title: 'keys per call, median', num: true, cell: (m) => <AB a={String(m.keysP50.a)} b={String(m.keysP50.b)} /> },
];

const QUANTILES = ['p50', 'p90', 'p99'] as const;

const phaseColumns: Column<PhaseDiff>[] = [
  { head: 'phase', cell: (p) => PHASE_TEXT[p.phase] },
  { head: 'count A → B', num: true, cell: (p) => <AB a={formatCount(p.count.a)} b={formatCount(p.count.b)} /> },
  ...QUANTILES.flatMap((q) => abColumns<PhaseDiff>(q, (p) => p[q], formatDuration, true)),
];

function flagColumns(cmp: StatsComparison): Column<FlagKind>[] {
  return [
    { head: 'flag', cell: (k) => FLAG_TEXT[k].title },
    { head: 'A', num: true, cell: (k) => formatCount(cmp.flags[k].a) },
    { head: 'B', num: true, cell: (k) => formatCount(cmp.flags[k].b) },
    { head: 'Δ', num: true, cell: (k) => <Delta d={cmp.flags[k]} worseUp /> },
  ];
}

function CompareTables({ cmp, nameA, nameB }: { cmp: StatsComparison; nameA: string; nameB: string }) {
  const rate = (calls: number, duration: number) => perSecond(duration > 0 ? calls / duration : 0);
  const flagged = FLAG_KINDS.filter((k) => cmp.flags[k].a > 0 || cmp.flags[k].b > 0);
  return (
    <div data-testid="compare-result">
      <p className="compare-legend muted">
        A = <span className="mono">{nameA}</span>, B = <span className="mono">{nameB}</span>. Highlighted: a change of 25% or more on at least 20 calls.
      </p>
      <div className="kpis kpis-3">
        <Kpi testId="compare-calls" value={<AB a={formatCount(cmp.calls.a)} b={formatCount(cmp.calls.b)} />} label={<>calls <Delta d={cmp.calls} /></>} />
        <Kpi testId="compare-duration" value={<AB a={formatDuration(cmp.duration.a)} b={formatDuration(cmp.duration.b)} />} label={<>duration <Delta d={cmp.duration} /></>} />
        <Kpi testId="compare-rate" value={<AB a={rate(cmp.calls.a, cmp.duration.a)} b={rate(cmp.calls.b, cmp.duration.b)} />} label="calls/s" />
      </div>
      <DataTable
        columns={methodColumns}
        rows={cmp.methods}
        rowKey={(m) => m.qualname}
        rowProps={(m) => ({ className: m.count.notable || m.rate.notable ? 'is-notable' : undefined, 'data-method': m.name })}
        className="compare-table"
      />
      <h3 className="sub-title">Request phase durations</h3>
      <DataTable columns={phaseColumns} rows={cmp.phases} rowKey={(p) => p.phase} rowProps={(p) => ({ className: QUANTILES.some((q) => p[q].notable) ? 'is-notable' : undefined })} className="compare-table" />
      <h3 className="sub-title">Flags (keys)</h3>
      <DataTable
        columns={flagColumns(cmp)}
        rows={flagged}
        rowKey={(k) => k}
        rowProps={(k) => ({ className: cmp.flags[k].notable ? 'is-notable' : undefined })}
        className="compare-table"
        after={
          flagged.length === 0 && (
            <tr>
              <td className="muted" colSpan={4}>
                No flags in either trace.
              </td>
            </tr>
          )
        }
      />
    </div>
  );
}
