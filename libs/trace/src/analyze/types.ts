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
   * Whitespace-separated terms, all of which must match (case-insensitive). A term matches a call
   * when it is a prefix of the hex chunk hash of one of its keys (optionally `0x`-prefixed), a
   * substring of one of its keys' model names or cache salts, of its external_request_id, or of
   * its argument text (method name and non-key argument values). `hash:`, `model:`, `req:` and
   * `text:` restrict a term to one of those.
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
  /** Number of calls touching the key. */
  calls: number;
}

export const FLAG_KINDS = [
  /** reserve_write of the key with no later finish_write: a write lock that looks leaked. */
  'leaked_write',
  /** submit_prefetch_task (and maybe enter/exit) of the key with no finish_read_prefetched: a leaked read lock. */
  'leaked_read',
  /** read_prefetched_results.__exit__ for a key with no open __enter__. */
  'exit_without_enter',
  /** A prefetch (or an enter with no prefetch) of a key with no reserve_write/finish_write before it in the trace. */
  'read_never_written',
  /** finish_write of a key with no open reserve_write. */
  'finish_without_reserve',
  /** read_prefetched_results.__enter__ of a key with no open submit_prefetch_task. */
  'enter_without_prefetch',
  /** finish_read_prefetched of a key with no open prefetch. */
  'release_without_prefetch',
] as const;
export type FlagKind = (typeof FLAG_KINDS)[number];

export interface Flag {
  kind: FlagKind;
  keyId: number;
  /** Call indices involved, in call order. */
  calls: number[];
}

/** Flags of one kind that involve exactly the same calls (e.g. the 28 keys of one unfinished reserve_write). */
export interface FlagGroup {
  kind: FlagKind;
  calls: number[];
  keyIds: number[];
}

/** Lifecycle phases: write is reserve->finish; a read is prefetch->enter (wait), enter->exit (body), exit->finish (release). */
export const PHASES = ['write', 'read', 'read_wait', 'read_body', 'read_release'] as const;
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

/** One lifecycle of one key. */
export interface KeyLifecycle {
  kind: 'write' | 'read';
  /** write: [reserve, finish]; read: [prefetch, enter, exit, finish]; -1 where the call is absent. */
  calls: number[];
  complete: boolean;
}

export interface KeyTimeline {
  keyId: number;
  /** Every call touching the key, in order. */
  calls: Uint32Array;
  lifecycles: KeyLifecycle[];
  flags: Flag[];
}

export interface LifecycleSummary {
  phases: Record<PhaseName, DurationStats>;
  /** Per-key lifecycles: complete (paired) and open at the end of the trace. */
  writes: { complete: number; open: number };
  reads: { complete: number; open: number };
  flagCounts: Record<FlagKind, number>;
  /** Lifecycle-method calls whose keys were in no known shape (no `keys` list, no `spec`): ignored. */
  unknownShape: number;
}

/**
 * Lifecycles grouped by the calls that make them (one reserve_write of 28 keys finished by one
 * finish_write is one group of 28), for timelines and exports. Columnar; -1 where a call is absent.
 */
export interface LifecycleGroups {
  kind: Uint8Array; // 0 write, 1 read
  /** write: start = reserve, end = finish; read: start = prefetch (or enter), end = finish. */
  start: Int32Array;
  enter: Int32Array;
  exit: Int32Array;
  end: Int32Array;
  keys: Uint32Array;
  length: number;
}

export interface Histogram {
  /** Left edge of bin 0 and bin width, in the measured unit. */
  start: number;
  width: number;
  counts: number[];
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
  lifecycle: LifecycleSummary | null;
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
