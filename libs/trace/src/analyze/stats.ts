import type { CallIndex } from './call-index.ts';
import { nearestRankOfCounts } from './percentiles.ts';
import type { KeysPerCall, MethodStats, RequestSummary, TraceStats } from './types.ts';

export interface StatsOptions {
  /** Time bins over the trace's [first, last] call (default 100). */
  bins?: number;
  /** Restrict the per-method figures to these calls (a filter result); bins still span the whole trace. */
  calls?: Uint32Array;
  /** Keys-per-call histogram bins 0..cap-1 plus one overflow bin (default 64). Percentiles stay exact. */
  keysHistogramCap?: number;
}

/**
 * Per-method counts, shares, rates (overall and per time bin) and keys-per-call distributions, in
 * one pass over the call columns, plus the request summary. Rates are over the span from the
 * first to the last call, so two traces recorded with different idle lead-ins compare fairly.
 */
export function computeStats(index: CallIndex, requests: RequestSummary | null, options: StatsOptions = {}): TraceStats {
  const bins = Math.max(1, Math.floor(options.bins ?? 100));
  const cap = Math.max(1, Math.floor(options.keysHistogramCap ?? 64));
  const { method, time, keyList, listOff } = index.columns();
  const n = method.length;
  let t0 = Infinity, t1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = time[i]!;
    if (t < t0) t0 = t;
    if (t > t1) t1 = t;
  }
  if (n === 0) t0 = t1 = 0;
  const duration = t1 - t0;
  const width = duration > 0 ? duration / bins : 1;
  const nm = index.methods.size;
  const counts = new Float64Array(nm);
  const binCounts = Array.from({ length: nm }, () => new Uint32Array(bins));
  const keyCounts: number[][] = Array.from({ length: nm }, () => []);
  const allKeyCounts: number[] = [];

  const visit = (c: number) => {
    const m = method[c]!;
    counts[m]!++;
    const b = Math.min(bins - 1, Math.floor((time[c]! - t0) / width));
    binCounts[m]![b]!++;
    const l = keyList[c]!;
    const k = listOff[l + 1]! - listOff[l]!;
    const kc = keyCounts[m]!;
    kc[k] = (kc[k] ?? 0) + 1;
    allKeyCounts[k] = (allKeyCounts[k] ?? 0) + 1;
  };
  const subset = options.calls;
  if (subset) for (let i = 0; i < subset.length; i++) visit(subset[i]!);
  else for (let c = 0; c < n; c++) visit(c);
  const selected = subset ? subset.length : n;

  const methods: MethodStats[] = [];
  for (let m = 0; m < nm; m++) {
    const count = counts[m]!;
    if (count === 0) continue;
    methods.push({
      methodId: m,
      qualname: index.methods.qualname(m),
      name: index.methods.shortName(m),
      count,
      share: count / selected,
      rate: duration > 0 ? count / duration : 0,
      rateOverTime: Array.from(binCounts[m]!, (x) => x / width),
      keysPerCall: keysPerCall(keyCounts[m]!, count, cap),
    });
  }
  methods.sort((a, b) => b.count - a.count || a.methodId - b.methodId);
  return {
    calls: selected,
    t0,
    t1,
    duration,
    bins: { start: t0, width, count: bins },
    methods,
    keysPerCall: keysPerCall(allKeyCounts, selected, cap),
    lifecycle: requests,
  };
}

function keysPerCall(sparse: number[], total: number, cap: number): KeysPerCall {
  const exact = Array.from(sparse, (x) => x ?? 0);
  let sum = 0;
  exact.forEach((c, k) => (sum += c * k));
  const counts = new Array<number>(cap + 1).fill(0);
  exact.forEach((c, k) => (counts[Math.min(k, cap)]! += c));
  return {
    counts,
    mean: total > 0 ? sum / total : NaN,
    max: exact.length > 0 ? exact.length - 1 : NaN,
    p50: nearestRankOfCounts(exact, total, 50),
    p90: nearestRankOfCounts(exact, total, 90),
    p99: nearestRankOfCounts(exact, total, 99),
  };
}
