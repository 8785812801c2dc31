import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';
import { LatencySamples } from './stats.ts';

/** Timers are ~1 ms coarse (and may fire up to 1 ms early): sleep until this close, then yield-spin. */
const SPIN_MS = 2;
/** Node timers take at most 2^31-1 ms; a longer delay fires after 1 ms, so longer waits go in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** At speed 0, one event-loop turn per this many records, or asynchronous L2 work never runs. */
const YIELD_EVERY = 256;

/** Time as the pacer sees it: injected, so tests run on a fake clock and never on the machine's speed. */
export interface ReplayClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Resolves after about `ms` (possibly late). */
  sleep(ms: number): Promise<unknown>;
  /** One turn of the event loop: I/O callbacks and timers run. */
  yieldLoop(): Promise<unknown>;
}

export const realClock: ReplayClock = {
  now: () => performance.now(),
  sleep: (ms) => sleep(ms),
  yieldLoop: () => yieldLoop(),
};

/**
 * Recorded timing, scaled: record i is issued no earlier than `start + (t_mono_i - t_mono_0) / speed`.
 * It never runs ahead; a host slower than the recording lags, and the lag is reported instead of
 * hidden (a later record is not hurried to catch up: due times are absolute, so lateness does not
 * accumulate by itself). speed 0 issues everything at once. A record already due is answered
 * synchronously: the replay loop pays no promise or event-loop turn for it.
 */
export class Pacer {
  private t0: number | null = null;
  private start = 0;
  maxLagMs = 0;
  totalLagMs = 0;
  paced = 0;
  /** Every paced record's lag, for percentiles. */
  readonly lags = new LatencySamples();
  private sinceYield = 0;

  constructor(
    readonly speed: number,
    private readonly clock: ReplayClock = realClock,
  ) {
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new Error(`speed must be a finite number >= 0, got ${speed}`);
  }

  /** Waits until the record recorded at tMono (seconds) is due; returns how late it is, in ms. */
  wait(tMono: number): number | Promise<number> {
    if (this.speed === 0) {
      if (++this.sinceYield < YIELD_EVERY) return 0;
      this.sinceYield = 0;
      return this.clock.yieldLoop().then(() => 0);
    }
    // A trace is untrusted: a NaN or infinite time has no schedule, so the record goes at once
    // (and does not become the origin, or every later due time would be NaN).
    if (!Number.isFinite(tMono)) return 0;
    const now = this.clock.now();
    if (this.t0 === null) {
      this.t0 = tMono;
      this.start = now;
    }
    const due = this.start + ((tMono - this.t0) * 1000) / this.speed;
    // Two finite times can still be too far apart for a double: no schedule either.
    if (!Number.isFinite(due)) return 0;
    const left = due - now;
    if (left <= 0) return this.late(Math.max(0, -left));
    return this.until(due, left);
  }

  /** Average and worst lag so far (ms). */
  get meanLagMs(): number {
    return this.paced ? this.totalLagMs / this.paced : 0;
  }

  private async until(due: number, left: number): Promise<number> {
    const c = this.clock;
    while (left > SPIN_MS) {
      await c.sleep(Math.min(left - SPIN_MS, MAX_TIMER_MS));
      left = due - c.now();
    }
    while (left > 0) {
      await c.yieldLoop();
      left = due - c.now();
    }
    return this.late(Math.max(0, -left));
  }

  private late(lag: number): number {
    this.paced++;
    // Capped so a record scheduled absurdly early cannot make the reported totals Infinity.
    this.totalLagMs = Math.min(Number.MAX_VALUE, this.totalLagMs + lag);
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    this.lags.add(lag);
    return lag;
  }
}
