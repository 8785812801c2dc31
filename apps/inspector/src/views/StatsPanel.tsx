import { type KeysPerCall, type MethodStats, type TraceStats } from '@kvtrace/trace';
import { useEffect } from 'react';
import type { AnalysisState } from '../model/analysis.ts';
import { formatCount, formatDuration, formatRate } from '../model/format.ts';
import type { Filters } from '../model/view-state.ts';
import { DataTable, type Column } from './DataTable.tsx';
import { Kpi } from './Kpi.tsx';
import { PhaseTable } from './PhaseTable.tsx';
import { compactMethodName, methodHue } from './methods.ts';
import { useExternal } from './use-external.ts';

interface Props {
  analysis: AnalysisState;
  onFilter(patch: Partial<Filters>): void;
}

/**
 * Per method: count, share, calls/s over time (each bin a time window), keys per call; then the
 * lifecycle phase durations. Clicking a method filters the table to it; clicking a bin selects
 * that time window.
 */
export function StatsPanel({ analysis, onFilter }: Props) {
  const a = useExternal(analysis);
  const st = a.stats;
  useEffect(() => {
    if (!st) analysis.refreshStats();
  }, [analysis, st]);
  if (!st) return <p className="muted panel-hint">Computing statistics…</p>;
  const peak = Math.max(1, ...st.methods.map((m) => Math.max(0, ...m.rateOverTime)));
  return (
    <div className="stats" data-testid="stats">
      <div className="kpis">
        <Kpi label="calls" value={formatCount(st.calls)} />
        <Kpi label="duration" value={formatDuration(st.duration)} />
        <Kpi label="mean rate" value={formatRate(st.duration > 0 ? st.calls / st.duration : 0, 'calls')} />
        <Kpi label="keys / call p50" value={String(st.keysPerCall.p50)} />
      </div>
      <DataTable columns={methodColumns(st, peak, onFilter)} rows={st.methods} rowKey={(m) => m.methodId} rowProps={(m) => ({ 'data-method': m.name })} className="stats-table" />
      <h3 className="sub-title">Keys per call</h3>
      <KeysHistogram k={st.keysPerCall} />
      {st.lifecycle && (
        <>
          <h3 className="sub-title">Request phase durations</h3>
          <PhaseTable phases={st.lifecycle.phases} />
        </>
      )}
    </div>
  );
}

const SPARK_W = 120, SPARK_H = 24;

/** The per-method table: a click on the method or its count filters to it, a click on a bin selects its time window. */
function methodColumns(st: TraceStats, peak: number, onFilter: (p: Partial<Filters>) => void): Column<MethodStats>[] {
  const only = (m: MethodStats) => () => onFilter({ methods: [m.methodId] });
  return [
    {
      head: 'method',
      cell: (m) => (
        <button type="button" className="link method-link" title={`Show only ${m.name} calls`} onClick={only(m)}>
          <span className="method-chip" style={{ ['--hue' as string]: methodHue(m.qualname) }} title={m.qualname}>
            {compactMethodName(m.qualname)}
          </span>
        </button>
      ),
    },
    {
      head: 'count',
      num: true,
      cell: (m) => (
        <button type="button" className="link" onClick={only(m)}>
          {formatCount(m.count)}
        </button>
      ),
    },
    {
      head: 'share',
      num: true,
      cell: (m) => (
        <span className="share">
          <span className="share-bar" style={{ width: Math.max(1, Math.round(m.share * 48)), background: `hsl(${methodHue(m.qualname)} 70% 52%)` }} />
          {(m.share * 100).toFixed(1)}%
        </span>
      ),
    },
    { head: 'calls/s over time', className: 'spark-cell', cell: (m) => <RateSpark m={m} st={st} peak={peak} onFilter={onFilter} /> },
    {
      head: (
        <>
          keys
          <br />
          p50/p90/max
        </>
      ),
      title: 'keys per call: p50 / p90 / max',
      num: true,
      cellClassName: 'mono',
      cell: (m) => `${m.keysPerCall.p50}/${m.keysPerCall.p90}/${m.keysPerCall.max}`,
    },
  ];
}

function RateSpark({ m, st, peak, onFilter }: { m: MethodStats; st: TraceStats; peak: number; onFilter(p: Partial<Filters>): void }) {
  const hue = methodHue(m.qualname);
  const bw = SPARK_W / Math.max(1, m.rateOverTime.length);
  return (
    // Stretched to its column (preserveAspectRatio none): the table takes the card's width, never more.
    <svg className="spark" height={SPARK_H} viewBox={`0 0 ${SPARK_W} ${SPARK_H}`} preserveAspectRatio="none" role="img" aria-label={`${m.name}: mean ${formatRate(m.rate, 'calls')}`}>
      <title>{`mean ${formatRate(m.rate, 'calls')}; click a bar to select its time window`}</title>
      {m.rateOverTime.map((r, i) => {
        const h = r <= 0 ? 0 : Math.max(1, (r / peak) * (SPARK_H - 2));
        const t0 = st.bins.start + i * st.bins.width;
        return (
          <rect
            key={i}
            x={i * bw}
            y={SPARK_H - h}
            width={Math.max(1, bw - 0.5)}
            height={Math.max(h, 0)}
            fill={`hsl(${hue} 70% 52%)`}
            className="spark-bin"
            onClick={() => onFilter({ t0, t1: t0 + st.bins.width, methods: [m.methodId] })}
          >
            <title>{`${r.toFixed(0)} calls/s at ${t0.toFixed(3)} s`}</title>
          </rect>
        );
      })}
      <rect x={0} y={0} width={SPARK_W} height={SPARK_H} fill="transparent" pointerEvents="none" />
    </svg>
  );
}

function KeysHistogram({ k }: { k: KeysPerCall }) {
  const max = Math.max(1, ...k.counts);
  const last = k.counts.length - 1;
  // Trailing empty bins say nothing.
  let end = k.counts.length;
  while (end > 1 && k.counts[end - 1] === 0) end--;
  return (
    <div className="hist" role="img" aria-label={`keys per call: mean ${k.mean.toFixed(1)}, p50 ${k.p50}, p99 ${k.p99}, max ${k.max}`}>
      {k.counts.slice(0, end).map((c, i) => (
        <div key={i} className="hist-col" title={`${formatCount(c)} calls with ${i === last ? `more than ${i - 1}` : i} keys`}>
          <div className="hist-bar" style={{ height: `${(c / max) * 100}%` }} />
          {/* With many bins only every few are labelled, or the labels run into each other. */}
          {(end <= 16 || i % Math.ceil(end / 12) === 0 || i === end - 1) && <div className="hist-label">{i === last ? `>${i - 1}` : i}</div>}
        </div>
      ))}
    </div>
  );
}
