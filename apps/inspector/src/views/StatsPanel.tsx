import { type KeysPerCall, type MethodStats, type TraceStats } from '@kvtrace/trace';
import { useEffect } from 'react';
import type { AnalysisState } from '../model/analysis.ts';
import { formatCount, formatDuration, formatRate } from '../model/format.ts';
import type { Filters } from '../model/view-state.ts';
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
      <table className="data-table stats-table">
        <thead>
          <tr>
            <th>method</th>
            <th className="num">count</th>
            <th className="num">share</th>
            <th className="spark-cell">calls/s over time</th>
            <th className="num" title="keys per call: p50 / p90 / max">
              keys
              <br />
              p50/p90/max
            </th>
          </tr>
        </thead>
        <tbody>
          {st.methods.map((m) => (
            <MethodRow key={m.methodId} m={m} st={st} peak={peak} onFilter={onFilter} />
          ))}
        </tbody>
      </table>
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

function MethodRow({ m, st, peak, onFilter }: { m: MethodStats; st: TraceStats; peak: number; onFilter(p: Partial<Filters>): void }) {
  const hue = methodHue(m.qualname);
  const W = 120, H = 24;
  const n = m.rateOverTime.length;
  const bw = W / Math.max(1, n);
  return (
    <tr data-method={m.name}>
      <td>
        <button type="button" className="link method-link" title={`Show only ${m.name} calls`} onClick={() => onFilter({ methods: [m.methodId] })}>
          <span className="method-chip" style={{ ['--hue' as string]: hue }} title={m.qualname}>
            {compactMethodName(m.qualname)}
          </span>
        </button>
      </td>
      <td className="num">
        <button type="button" className="link" onClick={() => onFilter({ methods: [m.methodId] })}>
          {formatCount(m.count)}
        </button>
      </td>
      <td className="num">
        <span className="share">
          <span className="share-bar" style={{ width: Math.max(1, Math.round(m.share * 48)), background: `hsl(${hue} 70% 52%)` }} />
          {(m.share * 100).toFixed(1)}%
        </span>
      </td>
      <td className="spark-cell">
        {/* Stretched to its column (preserveAspectRatio none): the table takes the card's width, never more. */}
        <svg className="spark" height={H} viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={`${m.name}: mean ${formatRate(m.rate, 'calls')}`}>
          <title>{`mean ${formatRate(m.rate, 'calls')}; click a bar to select its time window`}</title>
          {m.rateOverTime.map((r, i) => {
            const h = r <= 0 ? 0 : Math.max(1, (r / peak) * (H - 2));
            const t0 = st.bins.start + i * st.bins.width;
            return (
              <rect
                key={i}
                x={i * bw}
                y={H - h}
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
          <rect x={0} y={0} width={W} height={H} fill="transparent" pointerEvents="none" />
        </svg>
      </td>
      <td className="num mono">
        {m.keysPerCall.p50}/{m.keysPerCall.p90}/{m.keysPerCall.max}
      </td>
    </tr>
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
