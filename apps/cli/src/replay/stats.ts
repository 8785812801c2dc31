/** Latency samples of one operation, in ms, in a growable Float64Array (8 bytes per call). */
export class LatencySamples {
  private buf = new Float64Array(1024);
  count = 0;
  errors = 0;
  /** Calls with no latency of their own (a scope exit sent with its enter). */
  untimed = 0;

  add(ms: number): void {
    if (Number.isNaN(ms)) {
      this.untimed++;
      return;
    }
    if (this.count === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.count++] = ms;
  }

  summary(): LatencySummary {
    const n = this.count;
    if (n === 0) return { count: this.untimed, errors: this.errors, mean: NaN, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN };
    const sorted = this.buf.slice(0, n).sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i]!;
    return {
      count: n + this.untimed,
      errors: this.errors,
      mean: sum / n,
      p50: nearestRank(sorted, 50),
      p90: nearestRank(sorted, 90),
      p99: nearestRank(sorted, 99),
      min: sorted[0]!,
      max: sorted[n - 1]!,
    };
  }
}

export interface LatencySummary {
  /** Successful calls (latency statistics are over the timed ones). */
  count: number;
  errors: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
}

/**
 * Nearest-rank percentile of ascending samples: the smallest sample with at least p% of the
 * samples at or below it (rank ceil(p/100 * n)); always an observed value, never interpolated.
 */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[Math.min(n, rank) - 1]!;
}

/** Samples per operation name, in first-seen order. */
export class OpStats {
  readonly ops = new Map<string, LatencySamples>();
  get(op: string): LatencySamples {
    let s = this.ops.get(op);
    if (!s) {
      s = new LatencySamples();
      this.ops.set(op, s);
    }
    return s;
  }
  summaries(): Record<string, LatencySummary> {
    return Object.fromEntries([...this.ops].map(([op, s]) => [op, s.summary()]));
  }
}
