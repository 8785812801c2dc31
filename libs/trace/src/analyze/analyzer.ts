import { CallIndex, type IndexArgsSource, type IndexableRecord } from './call-index.ts';
import { chromeTraceChunks, type ChromeTraceOptions } from './chrome-trace.ts';
import { keyTimeline } from './key-timeline.ts';
import { LifecycleTracker } from './lifecycle.ts';
import type { MethodTable } from './methods.ts';
import { computeStats, type StatsOptions } from './stats.ts';
import type { FilterQuery, KeyTimeline, TraceStats } from './types.ts';

/**
 * The index and the lifecycle tracker fed together, one call at a time: what the loading worker
 * holds. `addRecord` per record as batches arrive, `finish()` at the end (or whenever a live view
 * wants leak flags); queries are valid at any point.
 */
export class TraceAnalyzer {
  readonly index: CallIndex;
  readonly lifecycles = new LifecycleTracker();

  constructor(methods?: MethodTable) {
    this.index = new CallIndex(methods);
  }

  addRecord(rec: IndexableRecord): number {
    return this.feed(this.index.addRecord(rec));
  }

  add(recordIndex: number, methodId: number, tMono: number, args: Record<string, unknown>): number {
    return this.feed(this.index.add(recordIndex, methodId, tMono, args));
  }

  /** add() for a record that walks its own argument bytes (RecordView): same result, without building ObjectKeys. */
  addIndexed(recordIndex: number, methodId: number, tMono: number, rec: IndexArgsSource): number {
    return this.feed(this.index.addIndexed(recordIndex, methodId, tMono, rec));
  }

  private feed(call: number): number {
    const ix = this.index;
    const m = ix.methodOf(call);
    this.lifecycles.add(call, ix.methods.role(m), ix.timeOf(call), ix.keysOfCall(call), ix.keyShapeOf(call));
    return call;
  }

  finish(): void {
    this.lifecycles.finish();
  }

  filter(q: FilterQuery): Uint32Array {
    return this.index.filter(q);
  }

  stats(options?: StatsOptions): TraceStats {
    return computeStats(this.index, this.lifecycles, options);
  }

  keyTimeline(keyId: number): KeyTimeline {
    return keyTimeline(this.index, keyId);
  }

  chromeTraceChunks(options?: ChromeTraceOptions): Generator<string> {
    return chromeTraceChunks(this.index, this.lifecycles, options);
  }
}
