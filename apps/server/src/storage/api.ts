/**
 * The storage manager's public API: the contract between the server's implementation, the HTTP
 * routes, the workload generator and `kvtrace replay`. Method semantics are LMCache's
 * (shared/FORMAT.md, "Traced storage-manager methods"); the traced ones are listed in TRACED_METHODS
 * with their LMCache qualnames and parameter names, so our traces and LMCache's are comparable.
 */
import {
  STORAGE_METHOD_SPECS,
  type AttnWindowDesc,
  type EnumMember,
  type MemoryLayoutDesc,
  type ObjectKey,
  type PrefetchHandle,
  type PrefetchModeName,
  type Scope,
  type TrimPolicyName,
} from '@kvtrace/trace';

export type WriteMode = 'new' | 'update' | 'all';

/** Per-key outcome of reserve_write: partial success is normal. */
export type ReserveOutcome =
  | 'reserved' // a buffer is reserved and write-locked for this key
  | 'exists' // mode "new" and the key is already present
  | 'absent' // mode "update" and the key is not present
  | 'locked' // another writer holds the key, or readers hold it (cannot update under a read lock)
  | 'no_space'; // L1 cannot make room (everything evictable is locked)

/** What a read scope yields: the bytes of each requested key, null where it was not found. */
export type PrefetchedResults = (Uint8Array | null)[];

export interface StorageStats {
  l1_capacity_bytes: number;
  l1_used_bytes: number;
  l1_objects: number;
  l2_objects: number;
  l2_bytes: number;
  evictions: number;
  l1_hits: number;
  l1_misses: number;
  l2_hits: number;
  l2_misses: number;
  bytes_written: number;
  bytes_read: number;
  pending_l2_writes: number;
}

export interface StorageManagerApi {
  reserveWrite(keys: readonly ObjectKey[], layoutDesc: MemoryLayoutDesc, mode: WriteMode): ReserveOutcome[];
  /**
   * Data path (not traced): fill a reserved buffer. Throws if the key is not reserved for writing.
   * `owned`: the caller hands over a buffer nobody else holds, kept as is (else it is copied).
   */
  writeData(key: ObjectKey, data: Uint8Array, owned?: boolean): void;
  /** Completes reserved writes; returns per key whether it was reserved (and is now readable). */
  finishWrite(keys: readonly ObjectKey[]): boolean[];
  /** Positional like LMCache's (the traced wrapper records arguments by position and name). */
  submitPrefetchTask(
    keys: readonly ObjectKey[],
    layoutDesc: MemoryLayoutDesc,
    extraCount?: number,
    externalRequestId?: string,
    policy?: EnumMember<TrimPolicyName>,
    attnDesc?: AttnWindowDesc,
    skipL2?: boolean,
    mode?: EnumMember<PrefetchModeName>,
  ): PrefetchHandle;
  /** Resolves when the handle's L2 loads (if any) are done; L1-resident results are ready at once. */
  waitPrefetch(handle: PrefetchHandle): Promise<void>;
  /** Context manager: enter reads the read-locked objects; exit releases them if a key was missing or the body threw. */
  readPrefetchedResults(keys: readonly ObjectKey[]): Scope<PrefetchedResults>;
  finishReadPrefetched(keys: readonly ObjectKey[], extraCount?: number): void;
  stats(): StorageStats;
  /** Waits for background L2 work, then stops it. */
  close(): Promise<void>;
}

/** Traced methods: qualnames and parameter names (defaults filled in) exactly as LMCache records them. */
export const TRACED_METHODS = STORAGE_METHOD_SPECS;
