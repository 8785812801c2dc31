import type { FlagGroup, KeyInfo, KeyTimeline, LifecycleSummary, TraceStats } from '@kvtrace/trace';

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

/** Flag groups fetched per lifecycle report (the worker precomputes exactly this many). */
export const FLAG_LIMIT = 200;

export type ExportFormat = 'jsonl' | 'csv' | 'chrome';

export type AnalysisRequest =
  | { kind: 'filter'; query: WireQuery }
  | { kind: 'stats'; bins: number; query: WireQuery | null }
  | { kind: 'lifecycles'; flagLimit: number }
  | { kind: 'keyOf'; key: WireKey }
  | { kind: 'keyTimeline'; keyId: number }
  | { kind: 'export'; format: ExportFormat; query: WireQuery | null; name: string };

export interface LifecycleReport {
  summary: LifecycleSummary;
  groups: FlagGroup[];
  /** Calls indexed when the report was made (live traces grow). */
  calls: number;
}

export interface KeyReport {
  info: KeyInfo;
  timeline: KeyTimeline;
}

export interface AnswerOf {
  filter: Uint32Array;
  stats: TraceStats;
  lifecycles: LifecycleReport;
  keyOf: number;
  keyTimeline: KeyReport;
  export: Blob;
}

/** Sends one request to the analyzer that holds the current trace; rejects when it is gone. */
export interface AnalysisPort {
  request<R extends AnalysisRequest>(req: R): Promise<AnswerOf[R['kind']]>;
}
