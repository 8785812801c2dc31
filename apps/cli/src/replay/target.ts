import type { AttnWindowDesc, EnumMember, MemoryLayoutDesc, ObjectKey, PrefetchModeName, TrimPolicyName } from '@kvtrace/trace';

export type MaybePromise<T> = T | Promise<T>;
export type WriteMode = 'new' | 'update' | 'all';

/** submit_prefetch_task's arguments, normalised from any recorded shape (positional or spec). */
export interface PrefetchCall {
  keys: readonly ObjectKey[];
  layoutDesc: MemoryLayoutDesc;
  extraCount: number;
  externalRequestId: string;
  policy: EnumMember<TrimPolicyName>;
  attnDesc: AttnWindowDesc;
  skipL2: boolean;
  mode: EnumMember<PrefetchModeName>;
}

/** What a replay target reports at the end (the storage manager's counters, as far as it has them). */
export interface TargetStats {
  l1_hits: number;
  l1_misses: number;
  l2_hits: number;
  l2_misses: number;
  evictions: number;
  bytes_written: number;
  bytes_read: number;
  [k: string]: number;
}

/** An open read scope, as the target needs it at exit. */
export interface ReadToken {
  found: number;
  requested: number;
}

/**
 * Where a replay sends calls: an in-process storage manager or a running server. Each method is one
 * timed operation. A call may return synchronously (in-process): the dispatcher then measures it
 * without an await in between. `prepareRead` and `writeData` are not timed: they stand for work
 * the client does between traced calls (waiting for a prefetch, filling reserved buffers).
 */
export interface ReplayTarget {
  readonly description: string;
  /** The target's `sm_config_json` (for the digest comparison with the header), null when unknown. */
  readonly configJson: string | null;
  /** A read scope is one call at the enter (HTTP): exits are counted, not timed. */
  readonly scopeInOneCall?: boolean;
  /**
   * Its asynchronous calls only wait (a read for its L2 load) and later calls on other keys may
   * run meanwhile, as other requests do in a serving engine. Otherwise every call is awaited before
   * the next is issued (a server over HTTP: requests sent in parallel could reach it reordered).
   */
  readonly overlapsWaits?: boolean;
  /** false when the target has no L2 (its L2 hit rate means nothing); undefined when unknown. */
  readonly hasL2?: boolean;
  reserveWrite(keys: readonly ObjectKey[], layout: MemoryLayoutDesc, mode: WriteMode): MaybePromise<readonly string[]>;
  /** Fills the buffers of the keys reserve_write reserved; returns bytes written. */
  writeData(keys: readonly ObjectKey[], outcomes: readonly string[], layout: MemoryLayoutDesc): MaybePromise<number>;
  finishWrite(keys: readonly ObjectKey[]): MaybePromise<unknown>;
  submitPrefetchTask(call: PrefetchCall): MaybePromise<unknown>;
  /** Waits for the L2 loads of earlier prefetches of these keys, as a reader does before entering. */
  prepareRead(keys: readonly ObjectKey[]): MaybePromise<void>;
  readEnter(keys: readonly ObjectKey[]): MaybePromise<ReadToken>;
  readExit(token: ReadToken): MaybePromise<void>;
  finishReadPrefetched(keys: readonly ObjectKey[], extraCount: number): MaybePromise<void>;
  /** Waits for background work, then reports counters. */
  finish(): Promise<TargetStats>;
  /** Releases everything (idempotent). */
  close(): Promise<void>;
}
