import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, ObjectKey, PrefetchMode, TrimPolicy, useScope, type ObjectKey as Key } from '@kvtrace/trace';
import { createStorageManager, StorageError, StorageManager, type StorageConfig } from './index.ts';

/** 1 KiB objects: [1, 512] float16. */
const LAYOUT = new MemoryLayoutDesc([[1, 512]], ['torch.float16']);
const OBJ = LAYOUT.byteSize;
const GB = 2 ** 30;

const dirs: string[] = [];
const managers: StorageManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function make(objects: number, over: Partial<StorageConfig> = {}): StorageManager {
  const config: StorageConfig = { l1SizeGb: (objects * OBJ) / GB, evictionPolicy: 'LRU', l2Dir: null, l2SizeGb: 1, l2Workers: 2, l2MaxPendingBytes: 1 << 20, ...over };
  const sm = createStorageManager(config);
  managers.push(sm);
  return sm;
}

function withL2(objects: number, over: Partial<StorageConfig> = {}): StorageManager {
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-sm-'));
  dirs.push(dir);
  return make(objects, { l2Dir: dir, ...over });
}

const key = (n: number, model = 'm'): Key => new ObjectKey(new Uint8Array([n >> 8, n & 0xff]), model);
const keys = (...ns: number[]) => ns.map((n) => key(n));
const bytes = (fill: number) => new Uint8Array(OBJ).fill(fill);

/** reserve (new) + write + finish; returns the outcomes. */
function store(sm: StorageManager, ks: Key[], fill = 1) {
  const out = sm.reserveWrite(ks, LAYOUT, 'new');
  ks.forEach((k, i) => out[i] === 'reserved' && sm.writeData(k, bytes(fill)));
  sm.finishWrite(ks.filter((_, i) => out[i] === 'reserved'));
  return out;
}

describe('reserve_write', () => {
  it('mode new reserves absent keys only, and a reserved key is write-locked', () => {
    const sm = make(8);
    store(sm, keys(1));
    expect(sm.reserveWrite(keys(1, 2), LAYOUT, 'new')).toEqual(['exists', 'reserved']);
    expect(sm.inspect(key(2))).toEqual({ state: 'writing', size: OBJ, readLocks: 0 });
    expect(sm.reserveWrite(keys(2), LAYOUT, 'all')).toEqual(['locked']);
    expect(sm.reserveWrite(keys(2), LAYOUT, 'update')).toEqual(['locked']);
    expect(sm.reserveWrite(keys(2), LAYOUT, 'new')).toEqual(['exists']);
  });

  it('mode update reserves present keys only, and not under a read lock', () => {
    const sm = make(8);
    store(sm, keys(1, 2));
    expect(sm.reserveWrite(keys(1, 3), LAYOUT, 'update')).toEqual(['reserved', 'absent']);
    sm.submitPrefetchTask(keys(2), LAYOUT);
    expect(sm.reserveWrite(keys(2), LAYOUT, 'update')).toEqual(['locked']);
  });

  it('mode all reserves absent and present writable keys', () => {
    const sm = make(8);
    store(sm, keys(1));
    expect(sm.reserveWrite(keys(1, 2), LAYOUT, 'all')).toEqual(['reserved', 'reserved']);
  });

  it('a duplicate key in one call is reserved once', () => {
    const sm = make(8);
    expect(sm.reserveWrite(keys(1, 1), LAYOUT, 'new')).toEqual(['reserved', 'exists']);
  });

  it('partial success when L1 is full of locked objects', () => {
    const sm = make(3);
    expect(sm.reserveWrite(keys(1, 2, 3, 4, 5), LAYOUT, 'new')).toEqual(['reserved', 'reserved', 'reserved', 'no_space', 'no_space']);
    expect(sm.stats().l1_used_bytes).toBe(3 * OBJ);
    expect(sm.stats().evictions).toBe(0);
  });

  it('an object larger than L1 is no_space without evicting anything', () => {
    const sm = make(2);
    store(sm, keys(1));
    const big = new MemoryLayoutDesc([[3, 512]], ['torch.float16']);
    expect(sm.reserveWrite(keys(9), big, 'new')).toEqual(['no_space']);
    expect(sm.stats().evictions).toBe(0);
  });

  it('update with a larger layout makes room or leaves the object intact', () => {
    const sm = make(3);
    store(sm, keys(1, 2, 3));
    sm.submitPrefetchTask(keys(2, 3), LAYOUT, 0, '', TrimPolicy.SPARSE);
    const big = new MemoryLayoutDesc([[2, 512]], ['torch.float16']);
    expect(sm.reserveWrite(keys(1), big, 'update')).toEqual(['no_space']);
    expect(sm.inspect(key(1))).toEqual({ state: 'ready', size: OBJ, readLocks: 0 });
    sm.finishReadPrefetched(keys(3));
    expect(sm.reserveWrite(keys(1), big, 'update')).toEqual(['reserved']);
    expect(sm.inspect(key(3))).toBeNull();
    expect(sm.stats().l1_used_bytes).toBe(3 * OBJ);
  });

  it('rejects an unknown mode without changing state', () => {
    const sm = make(2);
    expect(() => sm.reserveWrite(keys(1), LAYOUT, 'bogus' as 'new')).toThrow(StorageError);
    expect(sm.stats().l1_objects).toBe(0);
  });

  it('refuses layouts whose size is negative, NaN or unsafe, without evicting anything', () => {
    const sm = make(2);
    sm.reserveWrite(keys(1, 2), LAYOUT, 'new');
    sm.finishWrite(keys(1, 2));
    const bad = [
      new MemoryLayoutDesc([[-1_000_000_000]], ['torch.float16']),
      new MemoryLayoutDesc([[Number.NaN]], ['torch.float16']),
      new MemoryLayoutDesc([[2 ** 40, 2 ** 40]], ['torch.float32']),
      new MemoryLayoutDesc([[0.5]], ['torch.uint8']),
    ];
    for (const l of bad) {
      for (const mode of ['new', 'update', 'all'] as const) expect(() => sm.reserveWrite(keys(3), l, mode)).toThrow(expect.objectContaining({ code: 'bad_argument' }));
      expect(() => sm.submitPrefetchTask(keys(1, 3), l)).toThrow(expect.objectContaining({ code: 'bad_argument' }));
    }
    expect(sm.stats()).toMatchObject({ l1_objects: 2, l1_used_bytes: 2 * OBJ, evictions: 0, l1_read_locks: 0 });
  });

  it('keys differing only in model, rank, group or salt are different objects', () => {
    const sm = make(8);
    const h = new Uint8Array([7]);
    const ks = [new ObjectKey(h, 'a'), new ObjectKey(h, 'b'), new ObjectKey(h, 'a', 1), new ObjectKey(h, 'a', 0, 1), new ObjectKey(h, 'a', 0, 0, 's')];
    expect(sm.reserveWrite(ks, LAYOUT, 'new')).toEqual(Array(5).fill('reserved'));
  });
});

describe('writeData and finish_write', () => {
  it('only a reserved key takes data, of exactly the layout size', () => {
    const sm = make(4);
    expect(() => sm.writeData(key(1), bytes(1))).toThrow(/not reserved/);
    sm.reserveWrite(keys(1), LAYOUT, 'new');
    expect(() => sm.writeData(key(1), new Uint8Array(OBJ - 1))).toThrow(/bytes given/);
    sm.writeData(key(1), bytes(5));
    expect(sm.finishWrite(keys(1, 2))).toEqual([true, false]);
    expect(() => sm.writeData(key(1), bytes(1))).toThrow(/not reserved/);
    expect(sm.finishWrite(keys(1))).toEqual([false]);
  });

  it('finished objects are readable; unfinished ones are not', () => {
    const sm = make(4);
    sm.reserveWrite(keys(1, 2), LAYOUT, 'new');
    sm.writeData(key(1), bytes(9));
    sm.finishWrite(keys(1));
    const h = sm.submitPrefetchTask(keys(1, 2), LAYOUT, 0, '', TrimPolicy.SPARSE);
    expect(h.l1FoundIndices).toEqual([0]);
    const got = useScope(sm.readPrefetchedResults(keys(1)), (r) => r);
    expect(got[0]).toEqual(bytes(9));
  });

  it('a finished but never written object reads as zeros', () => {
    const sm = make(4);
    sm.reserveWrite(keys(1), LAYOUT, 'new');
    sm.finishWrite(keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    expect(useScope(sm.readPrefetchedResults(keys(1)), (r) => r[0])).toEqual(new Uint8Array(OBJ));
  });

  it('the stored bytes are a copy of the caller buffer', () => {
    const sm = make(4);
    const buf = bytes(3);
    sm.reserveWrite(keys(1), LAYOUT, 'new');
    sm.writeData(key(1), buf);
    buf.fill(0);
    sm.finishWrite(keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    expect(useScope(sm.readPrefetchedResults(keys(1)), (r) => r[0])).toEqual(bytes(3));
  });

  it('a reader keeps the bytes it read when the object is updated afterwards', () => {
    const sm = make(4);
    store(sm, keys(1), 1);
    sm.submitPrefetchTask(keys(1), LAYOUT);
    const got = useScope(sm.readPrefetchedResults(keys(1)), (r) => r[0]);
    sm.finishReadPrefetched(keys(1));
    sm.reserveWrite(keys(1), LAYOUT, 'update');
    sm.writeData(key(1), bytes(2));
    sm.finishWrite(keys(1));
    expect(got).toEqual(bytes(1));
  });
});

describe('submit_prefetch_task and read locks', () => {
  it('PREFIX keeps the contiguous leading hits and locks 1 + extra_count each', () => {
    const sm = make(8);
    store(sm, keys(1, 2, 4));
    const h = sm.submitPrefetchTask(keys(1, 2, 3, 4), LAYOUT, 2, 'req-1');
    expect(h.l1FoundIndices).toEqual([0, 1]);
    expect(h.l1PrefixHitCount).toBe(2);
    expect(h.prefetchRequestId).toBe(-1);
    expect(h.externalRequestId).toBe('req-1');
    expect(h.totalRequestedKeys).toBe(4);
    expect(sm.inspect(key(1))?.readLocks).toBe(3);
    expect(sm.inspect(key(4))?.readLocks).toBe(0);
    expect(sm.prefetchFound(h)).toEqual([true, true, false, false]);
  });

  it('SPARSE locks every hit', () => {
    const sm = make(8);
    store(sm, keys(1, 3));
    const h = sm.submitPrefetchTask(keys(1, 2, 3), LAYOUT, 0, '', TrimPolicy.SPARSE);
    expect(h.l1FoundIndices).toEqual([0, 2]);
    // LMCache's count: every L1 hit (len(l1_found_indices)), not only the leading run.
    expect(h.l1PrefixHitCount).toBe(2);
  });

  it('WARM takes no read locks', () => {
    const sm = make(8);
    store(sm, keys(1));
    const h = sm.submitPrefetchTask(keys(1), LAYOUT, 0, '', TrimPolicy.PREFIX, undefined, false, PrefetchMode.WARM);
    expect(h.l1FoundIndices).toEqual([0]);
    expect(sm.inspect(key(1))?.readLocks).toBe(0);
  });

  it('finish_read_prefetched releases 1 + extra_count per key', () => {
    const sm = make(8);
    store(sm, keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT, 1);
    sm.submitPrefetchTask(keys(1), LAYOUT);
    expect(sm.inspect(key(1))?.readLocks).toBe(3);
    sm.finishReadPrefetched(keys(1), 1);
    expect(sm.inspect(key(1))?.readLocks).toBe(1);
    sm.finishReadPrefetched(keys(1));
    expect(sm.inspect(key(1))?.readLocks).toBe(0);
    sm.finishReadPrefetched(keys(1, 2));
    expect(sm.stats().unbalanced_releases).toBe(2);
    expect(sm.inspect(key(1))?.readLocks).toBe(0);
  });

  it('read scope: all found keeps the locks for finish_read_prefetched', () => {
    const sm = make(8);
    store(sm, keys(1, 2));
    sm.submitPrefetchTask(keys(1, 2), LAYOUT);
    const r = useScope(sm.readPrefetchedResults(keys(1, 2)), (x) => x);
    expect(r.every((b) => b !== null)).toBe(true);
    expect(sm.inspect(key(1))?.readLocks).toBe(1);
    sm.finishReadPrefetched(keys(1, 2));
    expect(sm.inspect(key(2))?.readLocks).toBe(0);
  });

  it('read scope: a missing key releases the found keys on exit', () => {
    const sm = make(8);
    store(sm, keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    const r = useScope(sm.readPrefetchedResults(keys(1, 2)), (x) => x);
    expect(r[1]).toBeNull();
    expect(sm.inspect(key(1))?.readLocks).toBe(0);
  });

  it('read scope: a throwing body releases the found keys on exit', () => {
    const sm = make(8);
    store(sm, keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    expect(() =>
      useScope(sm.readPrefetchedResults(keys(1)), () => {
        throw new Error('body failed');
      }),
    ).toThrow('body failed');
    expect(sm.inspect(key(1))?.readLocks).toBe(0);
  });

  it('read scope: an object without a read lock is not readable', () => {
    const sm = make(8);
    store(sm, keys(1));
    expect(useScope(sm.readPrefetchedResults(keys(1)), (x) => x[0])).toBeNull();
  });

  it('rejects a negative extra_count', () => {
    const sm = make(8);
    expect(() => sm.submitPrefetchTask(keys(1), LAYOUT, -1)).toThrow(StorageError);
    expect(() => sm.finishReadPrefetched(keys(1), 1.5)).toThrow(StorageError);
  });
});

describe('eviction', () => {
  it('LRU evicts the least recently used unlocked object', () => {
    const sm = make(3);
    store(sm, keys(1, 2, 3));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    sm.finishReadPrefetched(keys(1));
    expect(store(sm, keys(4))).toEqual(['reserved']);
    expect(sm.inspect(key(2))).toBeNull();
    expect(sm.inspect(key(1))).not.toBeNull();
    expect(sm.stats().evictions).toBe(1);
  });

  it('FIFO evicts the oldest object even if it was used', () => {
    const sm = make(3, { evictionPolicy: 'FIFO' });
    store(sm, keys(1, 2, 3));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    sm.finishReadPrefetched(keys(1));
    store(sm, keys(4));
    expect(sm.inspect(key(1))).toBeNull();
    expect(sm.inspect(key(2))).not.toBeNull();
  });

  it('never evicts read-locked or write-locked objects', () => {
    const sm = make(3);
    store(sm, keys(1, 2));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    sm.reserveWrite(keys(3), LAYOUT, 'new');
    expect(sm.reserveWrite(keys(4, 5), LAYOUT, 'new')).toEqual(['reserved', 'no_space']);
    expect(sm.inspect(key(1))?.readLocks).toBe(1);
    expect(sm.inspect(key(3))?.state).toBe('writing');
    expect(sm.inspect(key(2))).toBeNull();
  });

  it('leak: a read lock never released keeps the object pinned forever', () => {
    const sm = make(2);
    store(sm, keys(1));
    sm.submitPrefetchTask(keys(1), LAYOUT);
    for (let n = 10; n < 50; n++) store(sm, keys(n));
    expect(sm.inspect(key(1))).toEqual({ state: 'ready', size: OBJ, readLocks: 1 });
    expect(sm.stats().l1_read_locked).toBe(1);
    expect(sm.stats().l1_used_bytes).toBe(2 * OBJ);
  });

  it('leak: a reservation never finished pins its bytes and blocks writers of that key', () => {
    const sm = make(2);
    sm.reserveWrite(keys(1), LAYOUT, 'new');
    for (let n = 10; n < 20; n++) store(sm, keys(n));
    expect(sm.inspect(key(1))?.state).toBe('writing');
    expect(sm.reserveWrite(keys(1), LAYOUT, 'all')).toEqual(['locked']);
    expect(sm.stats().l1_write_locked).toBe(1);
  });
});

describe('L2', () => {
  it('finish_write pushes objects to disk in the background', async () => {
    const sm = withL2(4);
    store(sm, keys(1, 2), 7);
    await sm.idle();
    const s = sm.stats();
    expect(s.l2_objects).toBe(2);
    expect(s.l2_bytes).toBe(2 * OBJ);
    expect(readdirSync(sm.l2Path!).filter((f) => f.endsWith('.kv'))).toHaveLength(2);
  });

  it('a prefetch that misses L1 loads from L2 asynchronously, with read locks', async () => {
    const sm = withL2(2);
    store(sm, keys(1), 1);
    store(sm, keys(2), 2);
    await sm.idle();
    store(sm, keys(3, 4), 3);
    expect(sm.inspect(key(1))).toBeNull();
    const h = sm.submitPrefetchTask(keys(1, 2), LAYOUT, 1, 'x');
    expect(h.prefetchRequestId).toBeGreaterThanOrEqual(0);
    expect(h.l1FoundIndices).toEqual([]);
    expect(h.l2OrigIndices).toEqual([0, 1]);
    expect(sm.inspect(key(1))?.state).toBe('loading');
    expect(useScope(sm.readPrefetchedResults(keys(1)), (r) => r[0])).toBeNull();
    await sm.waitPrefetch(h);
    expect(sm.prefetchFound(h)).toEqual([true, true]);
    expect(sm.inspect(key(1))).toEqual({ state: 'ready', size: OBJ, readLocks: 2 });
    const r = useScope(sm.readPrefetchedResults(keys(1, 2)), (x) => x);
    expect(r[0]).toEqual(bytes(1));
    expect(r[1]).toEqual(bytes(2));
    sm.finishReadPrefetched(keys(1, 2), 1);
    expect(sm.stats().l2_hits).toBe(2);
  });

  it('skip_l2 does not consult L2', async () => {
    const sm = withL2(1);
    store(sm, keys(1));
    await sm.idle();
    store(sm, keys(2));
    const h = sm.submitPrefetchTask(keys(1), LAYOUT, 0, '', TrimPolicy.PREFIX, undefined, true);
    expect(h.l2OrigIndices).toEqual([]);
    expect(h.prefetchRequestId).toBe(-1);
  });

  it('an object evicted while its L2 write is queued is served from memory', async () => {
    const sm = withL2(1);
    store(sm, keys(1), 4);
    store(sm, keys(2), 5);
    const h = sm.submitPrefetchTask(keys(1), LAYOUT);
    await sm.waitPrefetch(h);
    expect(sm.prefetchFound(h)).toEqual([true]);
    expect(useScope(sm.readPrefetchedResults(keys(1)), (r) => r[0])).toEqual(bytes(4));
  });

  it('PREFIX stops at the first key in neither tier; SPARSE goes on', async () => {
    const sm = withL2(2);
    store(sm, keys(1, 3));
    await sm.idle();
    store(sm, keys(5, 6));
    const p = sm.submitPrefetchTask(keys(1, 2, 3), LAYOUT);
    expect(p.l2OrigIndices).toEqual([0]);
    await sm.waitPrefetch(p);
    sm.finishReadPrefetched(keys(1));
    const s = sm.submitPrefetchTask(keys(1, 2, 3), LAYOUT, 0, '', TrimPolicy.SPARSE);
    await sm.waitPrefetch(s);
    expect(sm.prefetchFound(s)).toEqual([true, false, true]);
  });

  it('an L2 load with no room in L1 is a miss (everything locked)', async () => {
    const sm = withL2(1);
    store(sm, keys(1));
    await sm.idle();
    store(sm, keys(2));
    sm.submitPrefetchTask(keys(2), LAYOUT);
    const h = sm.submitPrefetchTask(keys(1), LAYOUT);
    expect(h.l2OrigIndices).toEqual([]);
    expect(sm.prefetchFound(h)).toEqual([false]);
  });

  it('a different layout size is not a hit in L2', async () => {
    const sm = withL2(1);
    store(sm, keys(1));
    await sm.idle();
    store(sm, keys(2));
    const h = sm.submitPrefetchTask(keys(1), new MemoryLayoutDesc([[2, 512]], ['torch.float16']));
    expect(h.l2OrigIndices).toEqual([]);
  });

  it('a failed load drops the object and, with PREFIX, the locks past it', async () => {
    const sm = withL2(3);
    store(sm, keys(1, 2, 3));
    await sm.idle();
    store(sm, keys(7, 8, 9));
    // Remove key 1's file behind the store's back: its load fails.
    const files = readdirSync(sm.l2Path!).map((f) => join(sm.l2Path!, f));
    const { createHash } = await import('node:crypto');
    const f1 = join(sm.l2Path!, createHash('sha256').update(key(1).id).digest('hex') + '.kv');
    expect(files).toContain(f1);
    rmSync(f1);
    const h = sm.submitPrefetchTask(keys(1, 2), LAYOUT);
    await sm.waitPrefetch(h);
    expect(sm.prefetchFound(h)).toEqual([false, false]);
    expect(sm.inspect(key(1))).toBeNull();
    expect(sm.inspect(key(2))?.readLocks).toBe(0);
  });

  it('L2 beyond its capacity deletes the least recently used files', async () => {
    const sm = withL2(8, { l2SizeGb: (2 * OBJ) / GB });
    store(sm, keys(1, 2, 3));
    await sm.idle();
    expect(sm.stats().l2_objects).toBe(2);
    expect(sm.stats().l2_evictions).toBe(1);
  });

  it('pushes beyond the pending-bytes bound are skipped and counted', async () => {
    const sm = withL2(8, { l2MaxPendingBytes: OBJ });
    store(sm, keys(1, 2, 3));
    await sm.idle();
    expect(sm.stats().l2_writes_skipped).toBe(2);
  });

  it('close waits for writes and removes its directory', async () => {
    const sm = withL2(4);
    store(sm, keys(1));
    const dir = sm.l2Path!;
    await sm.close();
    expect(() => readdirSync(dir)).toThrow();
    expect(() => sm.reserveWrite(keys(2), LAYOUT, 'new')).toThrow(/closed/);
  });
});

describe('arguments LMCache could not decode (defence in depth behind the API)', () => {
  it('every traced method refuses them with bad_argument and changes nothing', () => {
    const sm = make(8);
    store(sm, keys(1));
    const before = sm.stats();
    const badKey = new ObjectKey(new Uint8Array([9]), 'org@model');
    const calls: [string, () => unknown, RegExp][] = [
      ['reserve_write key', () => sm.reserveWrite([key(2), badKey], LAYOUT, 'new'), /keys\[1\]\.model_name: contains "@"/],
      ['reserve_write dtype', () => sm.reserveWrite(keys(2), new MemoryLayoutDesc([[4]], ['torch.half']), 'new'), /layout_desc\.dtypes\[0\]: "torch.half" is an alias/],
      ['finish_write', () => sm.finishWrite([new ObjectKey(new Uint8Array([1]), 'm', 0, -1)]), /keys\[0\]\.object_group_id: is -1/],
      ['submit_prefetch_task salt', () => sm.submitPrefetchTask([new ObjectKey(new Uint8Array([1]), 'm', 0, 0, 'a/b')], LAYOUT), /cache_salt: contains "\/"/],
      ['submit_prefetch_task request id', () => sm.submitPrefetchTask(keys(1), LAYOUT, 0, 'r\ud800'), /external_request_id: is not valid Unicode/],
      ['read_prefetched_results', () => useScope(sm.readPrefetchedResults([new ObjectKey(new Uint8Array([1]), 'm\udc00')]), (r) => r), /model_name: is not valid Unicode/],
      ['finish_read_prefetched', () => sm.finishReadPrefetched([badKey]), /model_name: contains "@"/],
    ];
    for (const [name, call, message] of calls) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(StorageError);
      expect((err as StorageError).code, name).toBe('bad_argument');
      expect((err as StorageError).message, name).toMatch(message);
    }
    const after = sm.stats();
    for (const k of ['l1_objects', 'l1_used_bytes', 'l1_read_locks', 'l1_write_locked', 'l1_hits', 'l1_misses'] as const) expect(after[k], k).toBe(before[k]);
  });
});
