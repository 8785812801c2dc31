import type { AnalysisPort, CallSpan } from './queries.ts';

type Listener = () => void;

const CAPACITY = 4096;

/**
 * The request span of each call the table shows (its duration column and tooltip), asked of the
 * worker for the rows on screen only: a 10M-call trace never ships a per-call array. Requests made
 * in the same tick go as one message. When the analysis changes (`invalidate`: the index completed,
 * a live trace grew) entries are kept but marked stale, so rows keep their value until the new one
 * arrives instead of flashing empty.
 */
export class CallSpanCache {
  private entries = new Map<number, { span: CallSpan; gen: number }>();
  private pending = new Set<number>();
  private inFlight = new Set<number>();
  private scheduled = false;
  private port: AnalysisPort | null = null;
  private enabled = false;
  /** Bumped by invalidate: entries of an older generation are shown, and asked again. */
  private gen = 0;
  /** Bumped by attach: answers for another trace are dropped. */
  private trace = 0;
  private version = 0;
  private listeners = new Set<Listener>();

  readonly subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  readonly getSnapshot = (): number => this.version;

  /** A new trace (or none): everything is forgotten; nothing is asked until enabled. */
  attach(port: AnalysisPort | null): void {
    this.port = port;
    this.trace++;
    this.enabled = false;
    this.entries.clear();
    this.pending.clear();
    this.inFlight.clear();
    this.bump();
  }

  /** Off while a big file's index is still being built (a span asked then would be asked again). */
  setEnabled(on: boolean): void {
    if (on === this.enabled) return;
    this.enabled = on;
    if (on) this.bump();
  }

  /** The analysis changed: what is known stays shown and is asked again. */
  invalidate(): void {
    this.gen++;
    this.inFlight.clear();
    this.bump();
  }

  get(call: number): CallSpan | undefined {
    return this.entries.get(call)?.span;
  }

  request(calls: Iterable<number>): void {
    if (!this.enabled || !this.port) return;
    for (const c of calls) {
      const e = this.entries.get(c);
      if ((e && e.gen === this.gen) || this.inFlight.has(c)) continue;
      this.pending.add(c);
    }
    if (this.pending.size > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => void this.flush());
    }
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const port = this.port;
    if (!port || this.pending.size === 0) return;
    const calls = [...this.pending];
    this.pending.clear();
    for (const c of calls) this.inFlight.add(c);
    const trace = this.trace, gen = this.gen;
    let answer: CallSpan[];
    try {
      answer = await port.request({ kind: 'callSpans', calls });
    } catch {
      // The trace closed, or the worker failed: the column stays empty for these rows; a later
      // render asks again.
      if (trace === this.trace) for (const c of calls) this.inFlight.delete(c);
      return;
    }
    if (trace !== this.trace) return;
    for (const s of answer) {
      this.inFlight.delete(s.call);
      this.entries.delete(s.call);
      this.entries.set(s.call, { span: s, gen });
    }
    while (this.entries.size > CAPACITY) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.bump();
  }

  private bump(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}
