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
  return durationStatsOfSorted(values.slice().sort());
}

/** durationStats of values already in ascending order (a caller that sorts them once for several uses). */
export function durationStatsOfSorted(sorted: Float64Array): DurationStats {
  const n = sorted.length;
  if (n === 0) return { count: 0, min: NaN, max: NaN, mean: NaN, p50: NaN, p90: NaN, p99: NaN };
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
