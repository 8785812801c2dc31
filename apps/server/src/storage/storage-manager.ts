import {
  AttnWindowDesc,
  PrefetchHandle,
  PrefetchMode,
  TrimPolicy,
  type EnumMember,
  type MemoryLayoutDesc,
  type ObjectKey,
  type PrefetchModeName,
  type Scope,
  type TrimPolicyName,
} from '@kvtrace/trace';
import type { PrefetchedResults, ReserveOutcome, StorageManagerApi, StorageStats, WriteMode } from './api.ts';
import { l1CapacityBytes, l2CapacityBytes, type StorageConfig } from './config.ts';
import { FsL2Store } from './l2-store.ts';
import { assertKeys, assertLayout, assertText } from './lmcache-checks.ts';
import { StorageError } from './storage-error.ts';

export { StorageError, type StorageErrorCode } from './storage-error.ts';

/**
 * The layout's object size, checked: layouts come from clients and from replayed traces, and a NaN
 * (unknown or prototype dtype names, non-numeric dims) or negative size (a negative dimension) would
 * make makeRoom evict everything or drive the used-bytes count negative.
 */
export function objectSize(layoutDesc: MemoryLayoutDesc): number {
  const size = layoutDesc.byteSize;
  if (!Number.isSafeInteger(size) || size < 0) throw new StorageError('bad_argument', `layout describes an object of ${size} bytes: it must be a non-negative safe integer`);
  return size;
}

/**
 * One L1 object. `writing` and `loading` are the write-locked states (a reserved buffer being
 * filled by a client, or by an L2 load); only `ready` objects with no read lock can be evicted.
 */
interface Entry {
  readonly key: ObjectKey;
  size: number;
  state: 'writing' | 'loading' | 'ready';
  /** null: the buffer was never written (it reads as zeros: the manager's shared zero buffer of its size). */
  data: Uint8Array | null;
  readLocks: number;
  /** While loading from L2: resolves true when the bytes arrived, false when the load failed. */
  load: Promise<boolean> | null;
}

interface PrefetchState {
  done: Promise<void>;
  found: boolean[];
}

/** Extended stats (compatible with StorageStats): call counts, lock state, L2 queue. */
export interface StorageManagerStats extends StorageStats {
  l1_write_locked: number;
  l1_read_locked: number;
  l1_read_locks: number;
  l2_evictions: number;
  l2_writes_skipped: number;
  l2_write_errors: number;
  unbalanced_releases: number;
  calls_reserve_write: number;
  calls_finish_write: number;
  calls_submit_prefetch_task: number;
  calls_read_prefetched_enter: number;
  calls_read_prefetched_exit: number;
  calls_finish_read_prefetched: number;
}

const DEFAULT_ATTN = new AttnWindowDesc([-1]);
const WRITE_MODES: readonly WriteMode[] = ['new', 'update', 'all'];

/**
 * LMCache's StorageManager semantics (shared/FORMAT.md, "Traced storage-manager methods") over an
 * in-memory L1 and an on-disk L2. Every method is synchronous except what touches the disk, so a
 * call's effect on L1 (locks, reservations, evictions) is decided at the moment it is recorded:
 * replaying the calls in trace order reproduces the same L1 decisions.
 */
export class StorageManager implements StorageManagerApi {
  readonly capacity: number;
  /** Insertion order is the eviction order: LRU moves an entry to the end when it is used. */
  private readonly l1 = new Map<string, Entry>();
  private used = 0;
  private readonly l2: FsL2Store | null;
  private readonly lru: boolean;
  private readonly prefetches = new WeakMap<PrefetchHandle, PrefetchState>();
  private readonly loads = new Set<Promise<unknown>>();
  private readonly zeroBuffers = new Map<number, Uint8Array>();
  private nextPrefetchId = 0;
  private closed = false;
  private readonly c = {
    evictions: 0,
    l1_hits: 0,
    l1_misses: 0,
    l2_hits: 0,
    l2_misses: 0,
    bytes_written: 0,
    bytes_read: 0,
    unbalanced_releases: 0,
    calls_reserve_write: 0,
    calls_finish_write: 0,
    calls_submit_prefetch_task: 0,
    calls_read_prefetched_enter: 0,
    calls_read_prefetched_exit: 0,
    calls_finish_read_prefetched: 0,
  };

  constructor(readonly config: StorageConfig) {
    this.capacity = l1CapacityBytes(config);
    this.lru = config.evictionPolicy === 'LRU';
    this.l2 = config.l2Dir === null ? null : new FsL2Store(config.l2Dir, l2CapacityBytes(config), config.l2Workers, config.l2MaxPendingBytes);
  }

  /** The L2 directory this manager writes (its own subdirectory of config.l2Dir). */
  get l2Path(): string | null {
    return this.l2?.dir ?? null;
  }

  reserveWrite(keys: readonly ObjectKey[], layoutDesc: MemoryLayoutDesc, mode: WriteMode): ReserveOutcome[] {
    this.c.calls_reserve_write++;
    this.assertOpen();
    if (!WRITE_MODES.includes(mode)) throw new StorageError('bad_argument', `mode must be one of ${WRITE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    assertKeys(keys);
    assertLayout(layoutDesc);
    const size = objectSize(layoutDesc);
    const out: ReserveOutcome[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const id = key.id;
      const e = this.l1.get(id);
      if (e === undefined) {
        if (mode === 'update') {
          out[i] = 'absent';
          continue;
        }
        if (!this.makeRoom(size)) {
          out[i] = 'no_space';
          continue;
        }
        this.l1.set(id, { key, size, state: 'writing', data: null, readLocks: 0, load: null });
        this.used += size;
        out[i] = 'reserved';
        continue;
      }
      if (e.state !== 'ready') {
        // Another writer (or an L2 load) holds the write lock.
        out[i] = mode === 'new' ? 'exists' : 'locked';
        continue;
      }
      if (mode === 'new') {
        out[i] = 'exists';
        continue;
      }
      if (e.readLocks > 0) {
        out[i] = 'locked';
        continue;
      }
      // Update in place: the entry is write-locked first so making room never evicts it.
      e.state = 'writing';
      if (size > e.size && !this.makeRoom(size - e.size)) {
        e.state = 'ready';
        out[i] = 'no_space';
        continue;
      }
      this.used += size - e.size;
      e.size = size;
      e.data = null;
      this.touch(id, e);
      out[i] = 'reserved';
    }
    return out;
  }

  writeData(key: ObjectKey, data: Uint8Array, owned = false): void {
    this.assertOpen();
    const e = this.l1.get(key.id);
    if (e === undefined || e.state !== 'writing')
      throw new StorageError('not_reserved', `key ${key.hashHex} (${key.modelName}) is not reserved for writing`);
    if (data.length !== e.size) throw new StorageError('size_mismatch', `key ${key.hashHex}: ${data.length} bytes given, the reserved layout holds ${e.size}`);
    // A copy unless handed over: the caller's buffer (a request body) is not ours to keep, and
    // readers may still hold the previous bytes (so it is never written into in place).
    e.data = owned ? data : data.slice();
  }

  finishWrite(keys: readonly ObjectKey[]): boolean[] {
    this.c.calls_finish_write++;
    this.assertOpen();
    assertKeys(keys);
    const out: boolean[] = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const e = this.l1.get(keys[i]!.id);
      if (e === undefined || e.state !== 'writing') {
        out[i] = false;
        continue;
      }
      e.state = 'ready';
      this.c.bytes_written += e.size;
      if (this.l2) {
        e.data ??= this.zeros(e.size);
        this.l2.put(e.key.id, e.data);
      }
      out[i] = true;
    }
    return out;
  }

  submitPrefetchTask(
    keys: readonly ObjectKey[],
    layoutDesc: MemoryLayoutDesc,
    extraCount = 0,
    externalRequestId = '',
    policy: EnumMember<TrimPolicyName> = TrimPolicy.PREFIX,
    _attnDesc: AttnWindowDesc = DEFAULT_ATTN,
    skipL2 = false,
    mode: EnumMember<PrefetchModeName> = PrefetchMode.LOOKUP,
  ): PrefetchHandle {
    this.c.calls_submit_prefetch_task++;
    this.assertOpen();
    if (!Number.isInteger(extraCount) || extraCount < 0) throw new StorageError('bad_argument', `extra_count must be a non-negative integer, got ${extraCount}`);
    assertKeys(keys);
    assertLayout(layoutDesc);
    assertText(externalRequestId, 'external_request_id');
    const size = objectSize(layoutDesc);
    // SEGMENTED_PREFIX (per attention-window segment) is treated as PREFIX: the server has one group.
    const sparse = policy.name === 'SPARSE';
    const locks = mode.name === 'WARM' ? 0 : 1 + extraCount;
    const found = new Array<boolean>(keys.length).fill(false);
    const l1Found: number[] = [];
    const l2Orig: number[] = [];
    const l2Loads: Promise<boolean>[] = [];
    // An L2 object is only a hit when it has the requested layout's size (a different layout is another object).
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const id = key.id;
      const e = this.l1.get(id);
      if (e !== undefined && e.state === 'ready') {
        this.c.l1_hits++;
        e.readLocks += locks;
        this.touch(id, e);
        l1Found.push(i);
        found[i] = true;
        continue;
      }
      this.c.l1_misses++;
      if (e !== undefined && e.state === 'loading' && e.load !== null) {
        // Another prefetch is loading it from L2: share that load.
        e.readLocks += locks;
        l2Orig.push(i);
        l2Loads.push(e.load);
        continue;
      }
      const l2Size = e === undefined && this.l2 !== null && !skipL2 ? this.l2.sizeOf(id) : undefined;
      if (l2Size === size && this.makeRoom(l2Size)) {
        const entry: Entry = { key, size: l2Size, state: 'loading', data: null, readLocks: locks, load: null };
        entry.load = this.loadFromL2(entry);
        this.l1.set(id, entry);
        this.used += l2Size;
        l2Orig.push(i);
        l2Loads.push(entry.load);
        continue;
      }
      this.c.l2_misses++;
      if (!sparse) break;
    }
    const handle = new PrefetchHandle(l2Orig.length > 0 ? this.nextPrefetchId++ : -1, externalRequestId, l1Found, keys.length, Date.now() / 1000, l2Orig);
    const state: PrefetchState = { done: Promise.resolve(), found };
    if (l2Loads.length > 0) {
      state.done = Promise.all(l2Loads).then((ok) => {
        let broken = false;
        ok.forEach((loaded, j) => {
          const i = l2Orig[j]!;
          if (!loaded) broken = true;
          else found[i] = true;
        });
        // PREFIX keeps only the contiguous leading hits: locks taken past the first failed load are released.
        if (broken && !sparse && locks > 0) {
          const firstMiss = found.indexOf(false);
          for (let i = firstMiss + 1; i < keys.length; i++) {
            if (!found[i]) continue;
            found[i] = false;
            const e = this.l1.get(keys[i]!.id);
            if (e) e.readLocks = Math.max(0, e.readLocks - locks);
          }
        }
      });
      this.track(state.done);
    }
    this.prefetches.set(handle, state);
    return handle;
  }

  waitPrefetch(handle: PrefetchHandle): Promise<void> {
    return this.prefetches.get(handle)?.done ?? Promise.resolve();
  }

  /**
   * Per requested key, whether the prefetch holds it readable (after waitPrefetch). With PREFIX
   * this is a prefix; with SPARSE any subset. Callers read and release exactly these keys.
   */
  prefetchFound(handle: PrefetchHandle): boolean[] {
    const s = this.prefetches.get(handle);
    if (s) return [...s.found];
    const out = new Array<boolean>(handle.totalRequestedKeys).fill(false);
    for (const i of handle.l1FoundIndices) out[i] = true;
    return out;
  }

  readPrefetchedResults(keys: readonly ObjectKey[]): Scope<PrefetchedResults> {
    const entries: (Entry | null)[] = [];
    return {
      enter: () => {
        this.c.calls_read_prefetched_enter++;
        this.assertOpen();
        assertKeys(keys);
        const out: PrefetchedResults = new Array(keys.length);
        for (let i = 0; i < keys.length; i++) {
          const e = this.l1.get(keys[i]!.id);
          if (e === undefined || e.state !== 'ready' || e.readLocks === 0) {
            entries.push(null);
            out[i] = null;
            continue;
          }
          e.data ??= this.zeros(e.size);
          entries.push(e);
          out[i] = e.data;
          this.c.bytes_read += e.size;
        }
        return out;
      },
      exit: (error?: unknown) => {
        this.c.calls_read_prefetched_exit++;
        // LMCache's __exit__: when a key was missing or the body failed, the caller will not
        // finish the read, so the read locks of the found keys are released here (one each).
        if (error === undefined && !entries.includes(null)) return;
        for (const e of entries) if (e !== null && e.readLocks > 0) e.readLocks--;
      },
    };
  }

  finishReadPrefetched(keys: readonly ObjectKey[], extraCount = 0): void {
    this.c.calls_finish_read_prefetched++;
    if (!Number.isInteger(extraCount) || extraCount < 0) throw new StorageError('bad_argument', `extra_count must be a non-negative integer, got ${extraCount}`);
    assertKeys(keys);
    for (const key of keys) {
      const e = this.l1.get(key.id);
      if (e === undefined || e.readLocks === 0) {
        this.c.unbalanced_releases++;
        continue;
      }
      e.readLocks = Math.max(0, e.readLocks - (1 + extraCount));
    }
  }

  stats(): StorageManagerStats {
    let writeLocked = 0;
    let readLocked = 0;
    let readLocks = 0;
    for (const e of this.l1.values()) {
      if (e.state !== 'ready') writeLocked++;
      if (e.readLocks > 0) readLocked++;
      readLocks += e.readLocks;
    }
    const l2 = this.l2?.stats();
    return {
      l1_capacity_bytes: this.capacity,
      l1_used_bytes: this.used,
      l1_objects: this.l1.size,
      l2_objects: l2?.objects ?? 0,
      l2_bytes: l2?.bytes ?? 0,
      pending_l2_writes: l2?.pendingWrites ?? 0,
      l1_write_locked: writeLocked,
      l1_read_locked: readLocked,
      l1_read_locks: readLocks,
      l2_evictions: l2?.evictions ?? 0,
      l2_writes_skipped: l2?.writesSkipped ?? 0,
      l2_write_errors: l2?.writeErrors ?? 0,
      ...this.c,
    };
  }

  /** Lock state of one key (tests and diagnostics). */
  inspect(key: ObjectKey): { state: Entry['state']; size: number; readLocks: number } | null {
    const e = this.l1.get(key.id);
    return e ? { state: e.state, size: e.size, readLocks: e.readLocks } : null;
  }

  /** Waits for L2 loads and writes in flight (tests, and before reading stats). */
  async idle(): Promise<void> {
    while (this.loads.size > 0) await Promise.all([...this.loads]);
    await this.l2?.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.idle();
    await this.l2?.close();
  }

  /**
   * One zero buffer per object size, shared by every never-written object of that size (nothing
   * writes into an object's bytes in place). A replay of LMCache traces finishes thousands of
   * 32 MiB objects unfilled: allocating each at its first read or L2 push took seconds of
   * zero-filling and GC and put a 1x replay seconds behind its schedule. The last few sizes only.
   */
  private zeros(size: number): Uint8Array {
    let z = this.zeroBuffers.get(size);
    if (z === undefined) {
      if (this.zeroBuffers.size >= 8) this.zeroBuffers.delete(this.zeroBuffers.keys().next().value!);
      z = new Uint8Array(size);
      this.zeroBuffers.set(size, z);
    }
    return z;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('closed', 'the storage manager is closed');
  }

  private touch(id: string, e: Entry): void {
    if (!this.lru) return;
    this.l1.delete(id);
    this.l1.set(id, e);
  }

  /**
   * Evicts unlocked ready objects, oldest first (LRU or FIFO order), until `bytes` fit. Greedy: when
   * locked objects keep it from succeeding, what it evicted stays evicted (it is in L2 if L2 is on).
   */
  private makeRoom(bytes: number): boolean {
    if (bytes > this.capacity) return false;
    if (this.used + bytes <= this.capacity) return true;
    for (const [id, e] of this.l1) {
      if (e.state !== 'ready' || e.readLocks > 0) continue;
      this.l1.delete(id);
      this.used -= e.size;
      this.c.evictions++;
      if (this.used + bytes <= this.capacity) return true;
    }
    return false;
  }

  private loadFromL2(entry: Entry): Promise<boolean> {
    const l2 = this.l2!;
    const id = entry.key.id;
    const p = l2.load(id).then(
      (data) => this.settleLoad(id, entry, data),
      () => this.settleLoad(id, entry, null),
    );
    this.track(p);
    return p;
  }

  private settleLoad(id: string, entry: Entry, data: Uint8Array | null): boolean {
    entry.load = null;
    if (data !== null && data.length === entry.size) {
      entry.data = data;
      entry.state = 'ready';
      this.c.l2_hits++;
      return true;
    }
    this.c.l2_misses++;
    if (this.l1.get(id) === entry) {
      this.l1.delete(id);
      this.used -= entry.size;
    }
    return false;
  }

  private track(p: Promise<unknown>): void {
    this.loads.add(p);
    const done = () => void this.loads.delete(p);
    p.then(done, done);
  }
}
