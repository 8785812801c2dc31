/**
 * The types of the analysis layer, in one place. Everything here is plain data (numbers, strings,
 * arrays, typed arrays): results cross a worker boundary by structured clone, typed arrays by transfer.
 */

/** What a traced method means for lifecycle pairing (shared/FORMAT.md, "Traced storage-manager methods"). */
export const Role = {
  other: 0,
  reserveWrite: 1,
  finishWrite: 2,
  prefetch: 3,
  readEnter: 4,
  readExit: 5,
  finishRead: 6,
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Where a call's lifecycle keys came from: `keys`, a `spec: PrefetchRequestSpec`, or neither. */
export const KeyShape = { none: 0, keys: 1, spec: 2 } as const;
export type KeyShape = (typeof KeyShape)[keyof typeof KeyShape];

/** A filter over calls; every given part must hold (AND). Times are t_mono seconds, inclusive. */
export interface FilterQuery {
  /** Method ids to keep; null/undefined keeps all. */
  methods?: ReadonlySet<number> | readonly number[] | null;
  t0?: number;
  t1?: number;
  /**
   * A query in the query language (query/: fields such as `method:`, `key:`, `model:`, `req:`,
   * comparisons `keys>16`, `t>2.5s`, `dur>10ms`, `wait>50ms`, AND/OR/NOT and parentheses; bare
   * words match hashes, models, salts, request ids and argument text). A query that does not parse
   * throws a QueryError naming its column, never matches nothing silently.
   */
  text?: string;
  /** Only calls touching this key (see CallIndex.keyIdOf). */
  keyId?: number;
}

export interface KeyInfo {
  keyId: number;
  hashHex: string;
  modelName: string;
  kvRank: number;
  world: number;
  globalRank: number;
  localWorld: number;
  localRank: number;
  objectGroupId: number;
  cacheSalt: string;
  /** The trace (server) the key belongs to: the same ObjectKey in two servers is two objects. */
  source: number;
  /** Number of calls touching the key. */
  calls: number;
}

/** Bits of CallIndex.lockOptsOf: how a prefetch takes read locks. */
export const LockOpt = {
  /** A policy other than PREFIX (SPARSE, SEGMENTED_PREFIX): found keys need not be a prefix. */
  notPrefix: 1,
  /** mode WARM: the prefetch loads into L1 and takes no read lock. */
  warm: 2,
} as const;

/**
 * Flag kinds, each with its rule in FLAG_RULES. A flag is counted once per key (a key in ten
 * unfinished reservations is one `write_undecided` key). `leak` kinds are proven by the trace,
 * `undecided` ones cannot be decided from entry-only records, `anomaly` ones are calls that pair
 * with nothing.
 */
export const FLAG_KINDS = [
  'read_leaked',
  'read_undecided',
  'write_undecided',
  'enter_without_submit',
  'exit_without_enter',
  'release_without_lock',
  'finish_without_reserve',
] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

export const FLAG_RULES: Readonly<Record<FlagKind, string>> = {
  read_leaked:
    'The key was read (read_prefetched_results enter/exit of the request that submitted it) and no finish_read_prefetched gave all its read locks back: the lock is still held at the end of the trace. The key is proven held; which request holds it is the pairing\'s choice when several requests listed the same keys.',
  read_undecided:
    'The key was submitted for prefetch but never read or released, and no later write proves it was missing: it may hold a read lock, or the prefetch may simply not have found it.',
  write_undecided:
    'reserve_write listed the key and no finish_write followed, and nothing later proves the reservation was refused: it may hold a write lock, or it was refused (exists, locked, no_space).',
  enter_without_submit: 'read_prefetched_results.__enter__ listed the key, but no submit_prefetch_task of the trace can have made that read: none lists all its keys since they were last written, or each that does made another read.',
  exit_without_enter: 'read_prefetched_results.__exit__ listed the key, but every __enter__ of the same keys before it had exited already.',
  release_without_lock: 'finish_read_prefetched gave back more read locks on the key than the requests of the trace can hold on it (the server counts this as an unbalanced release).',
  finish_without_reserve: 'finish_write listed the key while no open reserve_write of the trace lists it (the reservation may precede the start of the trace).',
};

export const FLAG_SEVERITY: Readonly<Record<FlagKind, 'leak' | 'undecided' | 'anomaly'>> = {
  read_leaked: 'leak',
  read_undecided: 'undecided',
  write_undecided: 'undecided',
  enter_without_submit: 'anomaly',
  exit_without_enter: 'anomaly',
  release_without_lock: 'anomaly',
  finish_without_reserve: 'anomaly',
};

/** Flags of one kind made by the same calls (e.g. the 28 keys of one unfinished reserve_write). */
export interface FlagGroup {
  kind: FlagKind;
  /** The calls that explain the flag, in call order (for a leak: submit, enter, exit). */
  calls: number[];
  keyIds: number[];
  /** The request span the flag belongs to, or -1. */
  span: number;
}

/**
 * Request phases, one duration per request (not per key): a read is submit_prefetch_task ->
 * read_prefetched_results.__enter__ (wait) -> __exit__ (body) -> finish_read_prefetched (release),
 * `read` the whole of it; a write is reserve_write -> finish_write.
 */
export const PHASES = ['read', 'read_wait', 'read_body', 'read_release', 'write'] as const;
export type PhaseName = (typeof PHASES)[number];

/** Nearest-rank percentiles; every field is NaN when count is 0. Seconds. */
export interface DurationStats {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

export const SpanKind = { read: 0, write: 1 } as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** How a request span ends, decided at the end of the (possibly still growing) trace. */
export const SpanStatus = {
  /** Read and released, or written and finished. */
  done: 0,
  /** A read lock of it is proven still held (see FLAG_RULES.read_leaked). */
  leaked: 1,
  /** May still hold a lock; the trace cannot tell (see the undecided flags). */
  undecided: 2,
  /** A prefetch proven to have found nothing (never read; a later write shows its keys were absent). */
  miss: 3,
  /** A reservation proven refused (never finished; a later call shows another held or had the keys). */
  refused: 4,
  /** A WARM prefetch: it takes no locks, so it has no lifecycle to close. */
  warm: 5,
} as const;
export type SpanStatus = (typeof SpanStatus)[keyof typeof SpanStatus];
export const SPAN_STATUS_NAMES = ['done', 'leaked', 'undecided', 'miss', 'refused', 'warm'] as const;

/**
 * Requests as spans, columnar. A read span is one submit_prefetch_task with the enter, exit and
 * finish that belong to it; a write span is one reserve_write with its finish_write. Calls are call
 * indices, -1 where absent. Times are not copied per span: a span's times are `time` at its calls
 * (spanT0, spanTEnter, spanTExit, spanT1 in request-report.ts; NaN where the call is -1). Once the
 * analysis is complete (TraceAnalyzer.trim) the columns are views of the tracker's own, so the
 * spans cost no memory of their own: never transfer or modify them, and do not keep them past a
 * call added after all (they would change under their holder); before trim they are a snapshot.
 */
/** Per-span counts (request spans): signed bytes until a value needs more, then 16 bits, then 32 (growable.ts CountColumn). */
export type CountArray = Int8Array | Int16Array | Int32Array;

export interface RequestSpans {
  length: number;
  kind: Uint8Array;
  status: Uint8Array;
  start: Int32Array;
  enter: Int32Array;
  exit: Int32Array;
  /** -1 while the span is open (and for a refused write). */
  end: Int32Array;
  /** t_mono of every call of the analysis (the index's column, shared, not copied). */
  time: Float64Array;
  /** Keys submitted (read) or reserved (write). */
  keys: CountArray;
  /** Keys read or released (read), finished (write); -1 when undecided. */
  found: CountArray;
  /** external_request_id as an id of CallIndex.erids (0: none). */
  erid: Uint32Array;
}

/** Per-key lock lifecycles at the end of the trace; leaked and undecided count distinct keys. */
export interface LockCounts {
  /** Keys reserved and finished. */
  writes_paired: number;
  /** Keys a finished reserve_write listed but did not finish, or proven refused later. */
  writes_refused: number;
  /** Always 0: an entry-only trace cannot prove a write lock is held (FLAG_RULES.write_undecided). */
  writes_leaked: number;
  writes_undecided: number;
  /** Keys read and released (request, key pairs). */
  reads_paired: number;
  reads_leaked: number;
  reads_undecided: number;
  /** Keys a request submitted and did not find (request, key pairs). */
  misses: number;
  /** Read locks proven taken whose release the trace does not show but a later write proves (a read body that threw). */
  reads_released_at_exit: number;
}

export interface RequestCounts {
  /** submit_prefetch_task calls. */
  total: number;
  /** Requests that read or released at least one key. */
  with_hits: number;
  /** Requests proven to have found nothing. */
  all_miss: number;
  /** Requests never read whose outcome the trace cannot decide. */
  undecided: number;
  /** Requests holding a proven-leaked read lock. */
  leaked: number;
  /** WARM prefetches (no locks). */
  warm: number;
  writes: number;
  /**
   * Reads (enter calls) that requests of the trace can have made but the pairing gave to none:
   * with many identical requests in flight its guesses can use up the ones a read could be. Not
   * anomalies; the per-key lock bounds count them.
   */
  unpaired_reads: number;
}

export interface RequestSummary {
  requests: RequestCounts;
  lifecycles: LockCounts;
  /** Distinct keys per flag kind. */
  flagCounts: Record<FlagKind, number>;
  phases: Record<PhaseName, DurationStats>;
  /** Lifecycle-method calls whose keys were in no known shape (no `keys` list, no `spec`): ignored. */
  unknownShape: number;
}

/** One request span touching a key, with that key's fate in it. */
export interface KeySpan {
  span: number;
  kind: 'read' | 'write';
  /** Calls of the span: read [submit, enter, exit, finish]; write [reserve, finish]; -1 absent. */
  calls: number[];
  status: (typeof SPAN_STATUS_NAMES)[number];
  /** What happened to this key in the span. */
  keyFate: KeyFate;
}
export type KeyFate = 'released' | 'held' | 'undecided' | 'miss' | 'written' | 'refused' | 'pending' | 'no_lock';

export interface KeyTimeline {
  keyId: number;
  /** Every call touching the key, in order. */
  calls: Uint32Array;
  spans: KeySpan[];
  flags: FlagGroup[];
}

export interface Histogram {
  /** Left edge of bin 0 and bin width, in the measured unit. */
  start: number;
  width: number;
  counts: number[];
  /** Values at or above start + width * counts.length, counted in the last bin (a long tail). */
  overflow: number;
}

export interface KeysPerCall {
  /** counts[k] = calls with k keys, k < counts.length - 1; the last bin counts calls with more. */
  counts: number[];
  mean: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
}

export interface MethodStats {
  methodId: number;
  qualname: string;
  name: string;
  count: number;
  /** count / all calls in the stats' selection. */
  share: number;
  /** count / trace duration (calls per second). */
  rate: number;
  /** Calls per second in each time bin (TraceStats.bins). */
  rateOverTime: number[];
  keysPerCall: KeysPerCall;
}

export interface TraceStats {
  calls: number;
  t0: number;
  t1: number;
  duration: number;
  /** Bin edges over [t0, t1] shared by every rateOverTime, so a clicked bin is a time window. */
  bins: { start: number; width: number; count: number };
  methods: MethodStats[];
  keysPerCall: KeysPerCall;
  lifecycle: RequestSummary | null;
}

export interface MetricDiff {
  a: number;
  b: number;
  /** b - a */
  abs: number;
  /** (b - a) / a; null when a is 0 (or either is NaN). */
  rel: number | null;
  notable: boolean;
}

export interface MethodComparison {
  qualname: string;
  name: string;
  /** 'a' or 'b' when the method appears in one trace only. */
  onlyIn: 'a' | 'b' | null;
  count: MetricDiff;
  share: MetricDiff;
  rate: MetricDiff;
  keysP50: MetricDiff;
}

export interface PhaseComparison {
  phase: PhaseName;
  count: MetricDiff;
  p50: MetricDiff;
  p90: MetricDiff;
  p99: MetricDiff;
}

export interface StatsComparison {
  calls: MetricDiff;
  duration: MetricDiff;
  methods: MethodComparison[];
  phases: PhaseComparison[];
  flags: Record<FlagKind, MetricDiff>;
}

export interface CompareOptions {
  /** |rel| at or above this is notable (default 0.25). */
  relThreshold?: number;
  /** Counts below this in both traces are never notable (default 20). */
  minCount?: number;
}

/** What exports need from the record store: a record by record index (TraceRecord fits). */
export interface RecordSource {
  record(recordIndex: number): { t_mono: number; t_wall: number; qualname: string; args(): Record<string, unknown> };
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
