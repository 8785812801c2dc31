import type { FlagGroup, Histogram, KeyInfo, KeyTimeline, PhaseName, RequestSummary, TraceStats } from '@kvtrace/trace';

/**
 * What the UI asks the loading worker's analyzer, and what comes back. Plain data only: it crosses
 * the worker boundary by structured clone, call lists by transfer. The worker's message envelope is
 * in load/protocol.ts; the model only knows these shapes and the `AnalysisPort` that carries them.
 */

/** A FilterQuery that survives structured clone (a Set would, but an array is what URLs hold). */
export interface WireQuery {
  methods: number[] | null;
  t0?: number;
  t1?: number;
  text?: string;
  keyId?: number;
}

/** The parts of an ObjectKey that identify it (ObjectKey itself is a frozen class: not cloneable as such). */
export interface WireKey {
  chunkHash: Uint8Array;
  modelName: string;
  kvRank: number;
  objectGroupId: number;
  cacheSalt: string;
}

/**
 * How far the call index is. Small and live traces are indexed as they load (`inline`); big files
 * get a second pass once the table is ready, because decoding every argument would more than double
 * the load time (apps/inspector/README.md has the figures).
 */
export interface IndexProgress {
  calls: number;
  /** Records to index, when known (the second pass knows; a live trace does not). */
  total: number | null;
  done: boolean;
  secondPass: boolean;
  /** The second pass stopped (e.g. the file went away): the index covers `calls` only. */
  error?: string;
}

/** Flag groups fetched per request report (the worker precomputes exactly this many). */
export const FLAG_LIMIT = 200;
/** Requests listed in the request view (the slowest first). */
export const REQUEST_LIMIT = 200;
/** Bins of each phase's latency histogram. */
export const HISTOGRAM_BINS = 40;

export type ExportFormat = 'jsonl' | 'csv' | 'chrome';

export type AnalysisRequest =
  | { kind: 'filter'; query: WireQuery }
  | { kind: 'stats'; bins: number; query: WireQuery | null }
  | { kind: 'requests'; flagLimit: number; requestLimit: number; bins: number }
  | { kind: 'slices' }
  /** `call`: the call the key was read from; its trace (server) is part of the key's identity. */
  | { kind: 'keyOf'; key: WireKey; call: number }
  /** The request span of each of these calls (the table's visible rows), see CallSpan. */
  | { kind: 'callSpans'; calls: number[] }
  | { kind: 'keyTimeline'; keyId: number }
  | { kind: 'export'; format: ExportFormat; query: WireQuery | null; name: string };

/** One request span as the request view lists it (times are t_mono seconds; NaN where absent). */
export interface RequestRow {
  span: number;
  /** The trace (server) of the request, when several are open; '' for one. */
  server: string;
  kind: 'read' | 'write';
  status: string;
  externalRequestId: string;
  /** read: [submit, enter, exit, finish]; write: [reserve, finish]; -1 where absent. */
  calls: number[];
  keys: number;
  /** Keys read (read) or finished (write); -1 undecided. */
  found: number;
  t0: number;
  /** Seconds of each phase of the span (NaN where it did not happen). */
  phases: Partial<Record<PhaseName, number>>;
  /** First call to last, seconds (NaN while open). */
  duration: number;
}

export interface RequestReport {
  summary: RequestSummary;
  groups: FlagGroup[];
  /** The slowest requests (by duration, open ones first), at most REQUEST_LIMIT. */
  slowest: RequestRow[];
  /** Latency histogram of each phase (seconds), for brushing a duration range. */
  histograms: Record<PhaseName, Histogram>;
  /** Calls indexed when the report was made (live traces grow). */
  calls: number;
}

/** The phase tracks of request slices, top to bottom, as Perfetto draws thread slices. */
export const SLICE_TRACKS = ['wait', 'read', 'release', 'write'] as const;
/** How a request's slices stand (SliceColumns.status). */
export const SliceStatus = { ok: 0, leaked: 1, undecided: 2 } as const;

/**
 * Request spans as the timeline draws them, columnar, one row per span: its kind, status and the
 * calls that bound its phases (call indices, which are the store's rows; -1 where it has none). The
 * page reads their times from its own store (views/timeline/slices.ts cuts a read into its wait,
 * read and release slices, a write into one), so no time crosses the thread boundary: 18 B a span,
 * where a Float64 pair per slice was ~48 (14 MB for the 1M-call bench file, kept by the page).
 */
export interface SliceColumns {
  length: number;
  /** 0 write, 1 read. */
  kind: Uint8Array;
  /** A SliceStatus value. */
  status: Uint8Array;
  start: Int32Array;
  enter: Int32Array;
  exit: Int32Array;
  /** -1: still open at the end of the trace (drawn to the right edge). */
  end: Int32Array;
}

/** The worker's slices, and how many calls were indexed when they were made. */
export interface SliceReport extends SliceColumns {
  calls: number;
}

export interface KeyReport {
  info: KeyInfo;
  timeline: KeyTimeline;
  /** The trace (server) whose key this is, when several are open; '' for one. */
  server: string;
}

/**
 * The request span a call belongs to, for the table's duration column: fetched for the rows on
 * screen (never a per-call array for the whole trace). `duration` is NaN when the call is in no
 * request or its request is still open; phases as RequestRow's.
 */
export interface CallSpan {
  call: number;
  /** -1: the call is in no request span. */
  span: number;
  kind: 'read' | 'write' | null;
  status: string;
  externalRequestId: string;
  duration: number;
  phases: Partial<Record<PhaseName, number>>;
}

export interface AnswerOf {
  filter: Uint32Array;
  stats: TraceStats;
  requests: RequestReport;
  slices: SliceReport;
  keyOf: number;
  callSpans: CallSpan[];
  keyTimeline: KeyReport;
  export: Blob;
}

/** Sends one request to the analyzer that holds the current trace; rejects when it is gone. */
export interface AnalysisPort {
  request<R extends AnalysisRequest>(req: R): Promise<AnswerOf[R['kind']]>;
}
