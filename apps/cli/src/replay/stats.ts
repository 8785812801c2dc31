import { durationStats } from '@kvtrace/trace';

/**
 * Latency samples of one operation, in ms, in a growable Float64Array (8 bytes per call). The
 * figures are libs/trace's durationStats: nearest-rank percentiles, always an observed value.
 */
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
    const d = durationStats(this.buf.subarray(0, this.count));
    return { count: d.count + this.untimed, errors: this.errors, mean: d.mean, p50: d.p50, p90: d.p90, p99: d.p99, min: d.min, max: d.max };
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
