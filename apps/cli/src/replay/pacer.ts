import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';

/** Timers are ~1 ms coarse (and may fire up to 1 ms early): sleep until this close, then yield-spin. */
const SPIN_MS = 2;
/** Node timers take at most 2^31-1 ms; a longer delay fires after 1 ms, so longer waits go in chunks. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Recorded timing, scaled: record i is issued no earlier than `start + (t_mono_i - t_mono_0) / speed`.
 * It never runs ahead; a host slower than the recording lags, and the lag is reported instead of
 * hidden (a later record is not hurried to catch up). speed 0 issues everything at once.
 */
export class Pacer {
  private t0: number | null = null;
  private start = 0;
  maxLagMs = 0;
  totalLagMs = 0;
  paced = 0;
  private sinceYield = 0;

  constructor(
    readonly speed: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleepMs: (ms: number) => Promise<unknown> = (ms) => sleep(ms),
  ) {
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new Error(`speed must be a finite number >= 0, got ${speed}`);
  }

  /** Waits until the record recorded at tMono (seconds) is due; returns how late it is, in ms. */
  async wait(tMono: number): Promise<number> {
    if (this.speed === 0) {
      // Let L2 reads and writes progress now and then, or a fast run starves them completely.
      if (++this.sinceYield >= 256) {
        this.sinceYield = 0;
        await yieldLoop();
      }
      return 0;
    }
    // A trace is untrusted: a NaN or infinite time has no schedule, so the record goes at once
    // (and does not become the origin, or every later due time would be NaN).
    if (!Number.isFinite(tMono)) return 0;
    if (this.t0 === null) {
      this.t0 = tMono;
      this.start = this.now();
    }
    const due = this.start + ((tMono - this.t0) * 1000) / this.speed;
    // Two finite times can still be too far apart for a double: no schedule either.
    if (!Number.isFinite(due)) return 0;
    let left = due - this.now();
    while (left > SPIN_MS) {
      await this.sleepMs(Math.min(left - SPIN_MS, MAX_TIMER_MS));
      left = due - this.now();
    }
    while (left > 0) {
      await yieldLoop();
      left = due - this.now();
    }
    const lag = Math.max(0, -left);
    this.paced++;
    // Capped so a record scheduled absurdly early cannot make the reported totals Infinity.
    this.totalLagMs = Math.min(Number.MAX_VALUE, this.totalLagMs + lag);
    if (lag > this.maxLagMs) this.maxLagMs = lag;
    return lag;
  }
}
