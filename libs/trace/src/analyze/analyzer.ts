import { CallIndex, type IndexArgsSource, type IndexableRecord, type PartCursor, type TraceRecordLike } from './call-index.ts';
import { TRIM_SLACK } from './growable.ts';
import type { MethodTable } from './methods.ts';
import { flagGroups, keyFlags, keySpans, phaseDuration, phaseStats, requestSpans, requestSummary, sortedPhaseDurations, spanDuration, spanStatuses } from './request-report.ts';
import { RequestTracker, type LockCall } from './request-tracker.ts';
import { computeStats, type StatsOptions } from './stats.ts';
import type { SpanPhaseField } from './query/ast.ts';
import { KeyShape, Role, type FilterQuery, type FlagGroup, type FlagKind, type Histogram, type KeyTimeline, type PhaseName, type RequestSpans, type RequestSummary, type TraceStats } from './types.ts';

const NO_KEYS = new Uint32Array(0);

/** The query language's phase fields, as request phases. */
const QUERY_PHASE: Readonly<Record<SpanPhaseField, PhaseName>> = { wait: 'read_wait', body: 'read_body', release: 'read_release', write: 'write' };

/**
 * The call index and the request tracker fed together, one call at a time: what the loading worker
 * and `kvtrace analyze` hold. `addRecord` per record as batches arrive; every query is valid at any
 * point (a live trace is analysed as far as it has been read). Reports are cached until the next
 * call changes the analysis.
 */
export class TraceAnalyzer {
  readonly index: CallIndex;
  readonly requests: RequestTracker;
  private cache: { rev: number; spans: RequestSpans; summary: RequestSummary | null } | null = null;
  /** Trimmed and not added to since: the trace is complete, so spans can be views, not copies. */
  private complete = false;

  constructor(methods?: MethodTable) {
    this.index = new CallIndex(methods);
    this.requests = new RequestTracker(this.index);
  }

  addRecord(rec: IndexableRecord): number {
    return this.feed(this.index.addRecord(rec));
  }

  add(recordIndex: number, methodId: number, tMono: number, args: Record<string, unknown>): number {
    return this.feed(this.index.add(recordIndex, methodId, tMono, args));
  }

  /**
   * Any record as a reader yields it: one that can walk its own argument bytes (RecordView) is
   * indexed without building its ObjectKeys, others are decoded (CallIndex.addTraceRecord).
   */
  addTraceRecord(rec: TraceRecordLike & { server?: string }): number {
    // Records merged from several traces (mergeTraces) carry their server: one storage manager
    // each, so their keys are kept apart (a key of two servers is two keys, two lock tables).
    if (rec.server !== undefined && rec.server !== this.server) {
      this.server = rec.server;
      this.index.setSource(rec.server);
    }
    return this.feed(this.index.addTraceRecord(rec));
  }

  /** Calls added with arguments that did not decode (see CallIndex.addTraceRecord). */
  get undecodedArgs(): number {
    return this.index.undecodedArgs;
  }
  /** The server of the last merged record added (addTraceRecord). */
  private server: string | undefined;

  /**
   * Call `j` of a part indexed elsewhere (CallIndex.openPart) as the next call: the index takes it
   * and the request tracker sees it, in trace order, as if its record had been added here.
   */
  addFromPart(cur: PartCursor, j: number, recordIndex: number, shift: number): number {
    return this.feed(this.index.addFromPart(cur, j, recordIndex, shift));
  }

  /** add() for a record that walks its own argument bytes (RecordView): same result, without building ObjectKeys. */
  addIndexed(recordIndex: number, methodId: number, tMono: number, rec: IndexArgsSource): number {
    return this.feed(this.index.addIndexed(recordIndex, methodId, tMono, rec));
  }

  private feed(call: number): number {
    const ix = this.index;
    this.complete = false;
    // One LockCall for every call (the tracker keeps none of it): no object a call.
    const x = this.lockCall;
    x.call = call;
    x.role = ix.methods.role(ix.methodOf(call));
    x.shape = ix.keyShapeOf(call);
    x.keys = ix.keysOfCall(call);
    x.extra = ix.extraCountOf(call);
    x.opts = ix.lockOptsOf(call);
    x.erid = ix.eridIdOf(call);
    this.requests.add(x);
    x.keys = NO_KEYS;
    return call;
  }
  private readonly lockCall: LockCall = { call: 0, role: Role.other, shape: KeyShape.none, keys: NO_KEYS, extra: 0, opts: 0, erid: 0 };

  get length(): number {
    return this.index.length;
  }

  /** Room for exactly `calls` calls in all: a merge of known size (ShardMerger) grows nothing by steps. */
  reserve(calls: number, spans = 0): void {
    this.index.reserve(calls);
    this.requests.reserveCalls(calls);
    // At most one span per prefetch or reservation (one without keys opens none): trim() gives
    // back what is left over beyond TRIM_SLACK.
    if (spans > 0) this.requests.reserveSpans(spans);
  }

  /** Gives back growth slack once the trace is complete (nothing more will be added). */
  trim(): void {
    this.index.trim();
    this.requests.trimCalls(TRIM_SLACK);
    this.requests.trimSpans(TRIM_SLACK);
    // Spans cached before would keep the columns trim replaced alive; from now on they are views.
    // A summary of the same calls stays good.
    const c = this.cache?.rev === this.requests.revision ? this.cache : null;
    this.complete = true;
    this.cache = c && { rev: c.rev, spans: requestSpans(this.requests, true), summary: c.summary };
  }

  /** Calls matching every part of the query; a query's `dur`, `wait`, `body`, `release`, `write` read the request spans. */
  filter(q: FilterQuery): Uint32Array {
    return this.index.filter(q, {
      spanDurationOfCall: (c) => this.spanDurationOfCall(c),
      spanPhaseOfCall: (c, field) => {
        const s = this.requests.spanOfCall(c);
        return s < 0 ? NaN : phaseDuration(this.cached().spans, s, QUERY_PHASE[field]);
      },
    });
  }

  /** A latency histogram of one phase (seconds): `bins` bins up to its p99, the rest in the last bin. */
  phaseHistogram(phase: PhaseName, bins: number): Histogram {
    return histogramOfSorted(sortedPhaseDurations(this.cached().spans, phase), bins);
  }

  /**
   * The summary and every phase's histogram (the Requests tab): each phase's durations are sorted
   * once for both (sorting them twice was most of the report's time on a 1M-call trace), one phase
   * after another in one buffer (phaseStats).
   */
  phaseReport(bins: number): { summary: RequestSummary; histograms: Record<PhaseName, Histogram> } {
    const c = this.cached();
    const { stats, also: histograms } = phaseStats(c.spans, (_, sorted) => histogramOfSorted(sorted, bins));
    c.summary ??= requestSummary(this.requests, c.spans, stats);
    return { summary: c.summary, histograms };
  }

  /** Request spans: a snapshot, or views of the tracker's columns once complete (see RequestSpans). */
  spans(): RequestSpans {
    return this.cached().spans;
  }

  summary(): RequestSummary {
    const c = this.cached();
    return (c.summary ??= requestSummary(this.requests, c.spans));
  }

  flagGroups(kind?: FlagKind, limit?: number): FlagGroup[] {
    return flagGroups(this.requests, kind, limit);
  }

  /** Seconds from the first to the last call of the request span `call` belongs to; NaN when none or open. */
  spanDurationOfCall(call: number): number {
    const s = this.requests.spanOfCall(call);
    if (s < 0) return NaN;
    return spanDuration(this.cached().spans, s);
  }

  stats(options?: StatsOptions): TraceStats {
    return computeStats(this.index, this.summary(), options);
  }

  keyTimeline(keyId: number): KeyTimeline {
    const calls = this.index.callsOfKey(keyId);
    return {
      keyId,
      calls,
      spans: keySpans(this.requests, keyId, calls, spanStatuses(this.requests)),
      flags: keyFlags(this.requests, keyId),
    };
  }

  private cached(): { spans: RequestSpans; summary: RequestSummary | null } {
    const rev = this.requests.revision;
    if (this.cache?.rev !== rev) this.cache = { rev, spans: requestSpans(this.requests, this.complete), summary: null };
    return this.cache;
  }
}

/** A latency histogram of ascending durations `d` (seconds): `bins` bins up to their p99, the rest in the last bin. */
function histogramOfSorted(d: Float64Array, bins: number): Histogram {
  const n = d.length;
  const top = n === 0 ? 0 : d[Math.min(n - 1, Math.max(0, Math.ceil(0.99 * n) - 1))]!;
  const width = top > 0 ? top / bins : 1e-6;
  const counts = new Array<number>(bins).fill(0);
  let overflow = 0;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(d[i]! / width);
    if (b >= bins) overflow++;
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return { start: 0, width, counts, overflow };
}
