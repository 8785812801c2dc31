import type { DurationStats } from './types.ts';

/** Nearest-rank percentile of ascending `sorted` (p in (0, 100]): the smallest value with at least p% of values at or below it. */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1]!;
}

/** Count, min, max, mean and nearest-rank p50/p90/p99 of `values` (not modified). */
export function durationStats(values: Float64Array): DurationStats {
  const n = values.length;
  if (n === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN };
  const sorted = values.slice().sort();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    min: sorted[0]!,
    max: sorted[n - 1]!,
    mean: sum / n,
    p50: nearestRank(sorted, 50),
    p90: nearestRank(sorted, 90),
    p99: nearestRank(sorted, 99),
  };
}

/** Nearest-rank percentile from integer bucket counts (counts[v] = how many values equal v). */
export function nearestRankOfCounts(counts: ArrayLike<number>, total: number, p: number): number {
  if (total === 0) return NaN;
  const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
  let seen = 0;
  for (let v = 0; v < counts.length; v++) {
    seen += counts[v]!;
    if (seen >= rank) return v;
  }
  return counts.length - 1;
}

/**
 * Count, min, max, mean and nearest-rank p50/p90/p99 of values d[i] each counted w[i] times: the
 * same figures as expanding every value w[i] times, without the memory (a lifecycle group of 28
 * keys is one value of weight 28). O(n) per percentile by weighted quickselect; reorders d and w.
 */
export function weightedDurationStats(d: Float64Array, w: Uint32Array): DurationStats {
  const n = d.length;
  let total = 0, sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!, di = d[i]!;
    total += wi;
    sum += di * wi;
    if (wi > 0 && di < min) min = di;
    if (wi > 0 && di > max) max = di;
  }
  if (total === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN };
  const at = (p: number) => weightedSelect(d, w, Math.min(total, Math.max(1, Math.ceil((p / 100) * total))));
  return { count: total, min, max, mean: sum / total, p50: at(50), p90: at(90), p99: at(99) };
}

/** The value at 1-based weighted rank `rank` (3-way partition, median-of-three pivot). */
function weightedSelect(d: Float64Array, w: Uint32Array, rank: number): number {
  let lo = 0, hi = d.length;
  for (;;) {
    if (hi - lo === 1) return d[lo]!;
    const a = d[lo]!, b = d[(lo + hi) >>> 1]!, c = d[hi - 1]!;
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    let lt = lo, i = lo, gt = hi;
    let wLess = 0, wEq = 0;
    while (i < gt) {
      const v = d[i]!;
      if (v < pivot) {
        wLess += w[i]!;
        swap(d, w, lt++, i++);
      } else if (v > pivot) swap(d, w, i, --gt);
      else {
        wEq += w[i]!;
        i++;
      }
    }
    if (rank <= wLess) hi = lt;
    else if (rank <= wLess + wEq) return pivot;
    else {
      rank -= wLess + wEq;
      lo = gt;
    }
  }
}

function swap(d: Float64Array, w: Uint32Array, i: number, j: number): void {
  const dv = d[i]!;
  d[i] = d[j]!;
  d[j] = dv;
  const wv = w[i]!;
  w[i] = w[j]!;
  w[j] = wv;
}
