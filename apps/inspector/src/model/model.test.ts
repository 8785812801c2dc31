import { ObjectKey, PrefetchHandle, TraceParser, createDefaultRegistry } from '@kvtrace/trace';
import { fixtureBytes } from '@kvtrace/trace/test-support';
import { describe, expect, it } from 'vitest';
import { ArgsCache, type RangeSource } from './args-cache.ts';
import { argNode, callViolation, violationPlace } from './arg-nodes.ts';
import { BYTES_PER_RECORD, OFFSET_BLOCK, RecordStore, type RecordBatch } from './record-store.ts';
import { TraceSession } from './session.ts';
import { keyCount, summarizeArgs } from './summary.ts';
import { batchOf, testTrace, unknownValue } from '../test-support/test-trace.ts';

describe('RecordStore', () => {
  it('appends batches, interns methods, trims to the exact size', () => {
    const { batch } = batchOf(testTrace(5000));
    const s = new RecordStore();
    s.append({ ...batch, count: 3000 });
    s.append({ ...batch, count: 0, newMethods: [] });
    expect(s.length).toBe(3000);
    expect(s.methods).toHaveLength(2);
    expect(s.qualname(1)).toMatch(/finish_write$/);
    expect(s.capacity).toBeGreaterThanOrEqual(3000);
    s.trim();
    expect(s.byteLength).toBe(3000 * BYTES_PER_RECORD + Math.ceil(3000 / OFFSET_BLOCK) * 8);
    expect(s.frameEnd(0)).toBe(s.offsetOf(1));
    s.clear();
    expect(s.length).toBe(0);
  });

  it('keeps method ids and frame sizes in one and two bytes until a trace has more than 256 methods or a frame of 64 KiB or more', () => {
    const s = new RecordStore();
    const batch = (from: number, count: number, methods: number, frame: (i: number) => number): RecordBatch => ({
      count,
      tMono: Float64Array.from({ length: count }, (_, k) => from + k),
      method: Uint16Array.from({ length: count }, (_, k) => (from + k) % methods),
      offset: Float64Array.from({ length: count }, (_, k) => (from + k) * 1e6),
      frameBytes: Uint32Array.from({ length: count }, (_, k) => frame(from + k)),
      newMethods: Array.from({ length: methods - s.methods.length }, (_, k) => `m${s.methods.length + k}`),
    });
    s.append(batch(0, 1000, 256, (i) => 100 + i));
    expect([s.method.BYTES_PER_ELEMENT, s.frameBytes.BYTES_PER_ELEMENT]).toEqual([1, 2]);
    s.append(batch(1000, 1000, 300, (i) => 60_000 + i * 10));
    expect([s.method.BYTES_PER_ELEMENT, s.frameBytes.BYTES_PER_ELEMENT]).toEqual([2, 4]);
    for (let i = 0; i < 2000; i++) {
      expect(s.qualname(i), `record ${i}`).toBe(`m${i < 1000 ? i % 256 : i % 300}`);
      expect(s.frameEnd(i) - s.offsetOf(i), `record ${i}`).toBe(i < 1000 ? 100 + i : 60_000 + i * 10);
    }
  });

  it('gives back every record\'s offset without a column for them: block starts, frames after skipped bytes, past 4 GiB, frames past 64 KiB, then several files', () => {
    // Frames one after another from 5 GB on, with bytes skipped (malformed frames) before some:
    // at a block's first record, its second, its last, and several in a row.
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    const n = 1000;
    const offsets: number[] = [], sizes: number[] = [];
    let at = 5e9;
    const skipped = new Set([1, 63, 64, 65, 66, 128, 500, 999]);
    for (let i = 0; i < n; i++) {
      if (skipped.has(i) || rnd(50) === 0) at += 1 + rnd(5000);
      offsets.push(at);
      // Frames under 64 KiB until record 400 (2-byte frame sizes), then up to 100 kB: the column widens mid-load.
      sizes.push(5 + rnd(i < 400 ? 60_000 : 100_000));
      at += sizes[i]!;
    }
    const batch = (from: number, to: number, file?: number): RecordBatch => ({
      count: to - from,
      tMono: Float64Array.from({ length: to - from }, (_, k) => from + k),
      method: new Uint16Array(to - from),
      offset: Float64Array.from(offsets.slice(from, to)),
      frameBytes: Uint32Array.from(sizes.slice(from, to)),
      newMethods: from === 0 ? ['m'] : [],
      ...(file === undefined ? {} : { file: new Uint16Array(to - from).fill(file) }),
    });
    const s = new RecordStore();
    for (let from = 0; from < n; ) {
      const to = Math.min(n, from + 1 + rnd(150));
      s.append(batch(from, to));
      from = to;
    }
    for (let i = 0; i < n; i++) {
      expect(s.offsetOf(i), `record ${i}`).toBe(offsets[i]);
      expect(s.frameEnd(i)).toBe(offsets[i]! + sizes[i]!);
    }
    s.trim();
    expect(s.frameBytes.BYTES_PER_ELEMENT, 'frames past 64 KiB: 4-byte frame sizes').toBe(4);
    expect(s.byteLength, 'no offset column: a block start per OFFSET_BLOCK records').toBe(n * (BYTES_PER_RECORD + 2) + Math.ceil(n / OFFSET_BLOCK) * 8);
    // Several files from here on (a set: records interleave): every offset is kept, those before too.
    const set = new RecordStore();
    set.append(batch(0, 300));
    set.append(batch(300, 600, 1));
    set.append(batch(600, n, 0));
    for (let i = 0; i < n; i++) expect(set.offsetOf(i), `set record ${i}`).toBe(offsets[i]);
    expect(set.fileOf(10)).toBe(0);
    expect(set.fileOf(310)).toBe(1);
  });

  it('gives back the offsets of an LMCache file with a malformed frame in the middle (the records after it start past the skipped bytes)', () => {
    const { batch } = batchOf(fixtureBytes('malformed-middle.lct'));
    const jumps = Array.from({ length: batch.count - 1 }, (_, i) => i + 1).filter((i) => batch.offset[i] !== batch.offset[i - 1]! + batch.frameBytes[i - 1]!);
    expect(jumps.length, 'the fixture skips bytes between two records').toBeGreaterThan(0);
    const s = new RecordStore();
    s.append(batch);
    for (let i = 0; i < batch.count; i++) expect(s.offsetOf(i), `record ${i}`).toBe(batch.offset[i]);
  });

  it('sizes itself once from the load\'s expected total, after enough records to trust it', () => {
    const { batch } = batchOf(testTrace(20_000));
    const s = new RecordStore();
    const expected = 200_000;
    s.append({ ...batch, expected });
    // 20,000 records say little about the whole: the store grows as usual.
    expect(s.capacity).toBeLessThan(expected);
    for (let i = 0; i < 4; i++) s.append({ ...batch, newMethods: [], expected });
    // Past SIZING_MIN_RECORDS: one allocation for the expected total and a little slack.
    expect(s.capacity).toBe(Math.ceil(expected * 1.015));
    const tMono = s.tMono;
    for (let i = 0; i < 5; i++) s.append({ ...batch, newMethods: [], expected });
    expect(s.tMono, 'no growth: the same arrays').toBe(tMono);
    s.trim();
    expect(s.tMono, 'within the trim slack: not copied').toBe(tMono);
    expect(s.length).toBe(expected);
    expect(s.tMono[expected - 1]).toBe(batch.tMono[19_999]);
  });
});

describe('TraceSession', () => {
  it('goes loading → ready and counts records, with a new load id per load', () => {
    let t = 0;
    const session = new TraceSession(() => (t += 10));
    const { batch, parser } = batchOf(testTrace(10));
    const id = session.begin('a.lct', 100);
    session.onHeader(parser.header!, 100);
    session.onBatch(batch, { bytesRead: 100, records: 10, malformed: 0 });
    expect(session.getSnapshot().state).toBe('loading');
    // begin at 10, the batch at 20: the progress is dated by the batch, not by whoever renders it.
    expect(session.getSnapshot()).toMatchObject({ startedAt: 10, progressAt: 20, firstRowAt: 20 });
    session.finish({ bytesRead: 100, records: 10, malformed: 0, malformedFrames: [], truncated: null, argDecodeErrors: 0 });
    expect(session.getSnapshot()).toMatchObject({ state: 'ready', loadId: id });
    expect(session.begin('b.lct', null)).toBe(id + 1);
    expect(session.store.length).toBe(0);
  });

  it('is partial for a truncated tail or malformed frames, failed for header errors, partial when cancelled', () => {
    const session = new TraceSession();
    const { batch, parser } = batchOf(testTrace(3));
    session.begin('t.lct', 1);
    session.onHeader(parser.header!, 1);
    session.onBatch(batch, { bytesRead: 1, records: 3, malformed: 0 });
    session.finish({ bytesRead: 1, records: 3, malformed: 0, malformedFrames: [], truncated: { offset: 9, claimed: 40, available: 2 }, argDecodeErrors: null });
    expect(session.getSnapshot().state).toBe('partial');
    session.begin('m.lct', 1);
    session.fail({ kind: 'bad_magic', message: 'bad magic' });
    expect(session.getSnapshot()).toMatchObject({ state: 'failed', error: { kind: 'bad_magic' } });
    session.begin('c.lct', 1);
    session.onHeader(parser.header!, 1);
    session.onBatch(batch, { bytesRead: 1, records: 3, malformed: 0 });
    session.cancel();
    expect(session.getSnapshot()).toMatchObject({ state: 'partial', cancelled: true });
    expect(session.store.length).toBe(3);
  });

  it('notifies subscribers with a new snapshot per change', () => {
    const session = new TraceSession();
    const seen: number[] = [];
    const off = session.subscribe(() => seen.push(session.getSnapshot().version));
    session.begin('x', 0);
    session.reset();
    off();
    session.begin('y', 0);
    expect(seen).toEqual([1, 2]);
  });
});

describe('ArgsCache', () => {
  const setup = (n: number) => {
    const bytes = testTrace(n);
    const { batch } = batchOf(bytes);
    const store = new RecordStore();
    store.append(batch);
    const reads: [number, number][] = [];
    const source: RangeSource = {
      read: async (a, b) => {
        reads.push([a, b]);
        return bytes.slice(a, b);
      },
    };
    const cache = new ArgsCache(store, createDefaultRegistry());
    cache.setSource(source);
    return { cache, reads, store };
  };

  it('decodes requested rows from byte ranges, merging neighbours into one read', async () => {
    const { cache, reads } = setup(200);
    cache.request([10, 11, 12, 13, 150]);
    cache.request([11]);
    await cache.idle();
    expect(reads).toHaveLength(1);
    const e = cache.get(12);
    expect(e?.ok).toBe(true);
    if (!e?.ok) return;
    expect(e.args.i).toBe(12);
    expect(e.keyCount).toBe(2);
    expect(e.args.keys).toSatisfy((k: unknown) => Array.isArray(k) && k[0] instanceof ObjectKey);
    expect(cache.get(150)?.ok).toBe(true);
  });

  it("reads a call's t_wall back with its arguments (the store keeps t_mono only)", async () => {
    const recs = new TraceParser().push(testTrace(60));
    const { cache, store } = setup(60);
    expect(store.byteLength).toBe(store.capacity * BYTES_PER_RECORD + Math.ceil(store.capacity / OFFSET_BLOCK) * 8);
    cache.request([0, 31, 59]);
    await cache.idle();
    for (const i of [0, 31, 59]) expect(cache.get(i)).toMatchObject({ ok: true, tWall: recs[i]!.t_wall });
    expect(recs[31]!.t_wall).toBeGreaterThan(1.7e9);
  });

  it('reports unreadable ranges per row and drops answers for a replaced source', async () => {
    const { cache } = setup(20);
    cache.setSource({ read: () => Promise.reject(new Error('gone')) });
    cache.request([1]);
    await cache.idle();
    expect(cache.get(1)).toMatchObject({ ok: false });
    let resolve: (b: Uint8Array) => void = () => undefined;
    cache.setSource({ read: () => new Promise((r) => (resolve = r)) });
    cache.request([2]);
    await new Promise((r) => setTimeout(r, 0));
    cache.setSource(null);
    resolve(new Uint8Array(0));
    await new Promise((r) => setTimeout(r, 0));
    expect(cache.get(2)).toBeUndefined();
  });
});

describe('summaries and argument nodes', () => {
  it('summarizes all but the keys and counts keys', () => {
    const args = { keys: [new ObjectKey(new Uint8Array(32), 'm')], mode: 'new', extra_count: 0, x: unknownValue };
    expect(keyCount(args)).toBe(1);
    expect(summarizeArgs(args)).toBe('mode="new"  extra_count=0  x=⚠Future');
    expect(keyCount({ mode: 'x' })).toBeNull();
  });

  it('pages long lists and hex-dumps long bytes lazily', () => {
    const list = argNode('xs', Array.from({ length: 1000 }, (_, i) => i));
    expect(list.childCount).toBe(1000);
    expect(list.children?.(100, 200).map((c) => c.name)[0]).toBe('[100]');
    const bytes = argNode('b', new Uint8Array(100).fill(0xab));
    expect(bytes.kind).toBe('bytes');
    expect(bytes.childCount).toBe(4);
    expect(bytes.children?.(0, 1)[0]?.text).toMatch(/^abababab abababab/);
    const key = argNode('k', new ObjectKey(new Uint8Array(32).fill(1), 'model', 0x02010100));
    expect(key.text).toContain('#010101010101');
    expect(key.text).toContain('rank 1/2');
    expect(key.copy).toBe('01'.repeat(32));
    const raw = argNode('r', unknownValue);
    expect(raw.badge).toBe('unknown tag');
    expect(raw.kind).toBe('Future');
  });

  it("labels a PrefetchHandle's l1_prefix_hit_count as the L1 hits it counts (len(l1_found_indices), not a prefix)", () => {
    const handle = new PrefetchHandle(7, 'req', [0, 2, 5], 6, 1.5, []);
    expect(argNode('h', handle).text).toBe('request 7 · 3/6 L1 hits');
  });

  it('names each node by its path among the arguments, as violations name the value at fault', () => {
    const keys = [new ObjectKey(new Uint8Array(32), 'ok', 0), new ObjectKey(new Uint8Array(32), 'bad@model', 0)];
    const v = callViolation({ keys, i: 1 });
    expect(v).toMatchObject({ path: 'keys[1].model_name' });
    const list = argNode('keys', keys);
    const [first, second] = list.children!(0, 2);
    const model = second!.children!(0, 5).find((c) => c.name === 'model_name')!;
    expect([list.path, second!.path, model.path]).toEqual(['keys', 'keys[1]', 'keys[1].model_name']);
    expect([list, first!, second!, model].map((n) => violationPlace(n, v!.path))).toEqual(['above', null, 'above', 'at']);
    expect(callViolation({ keys: keys.slice(0, 1) })).toBeNull();
  });
});

describe('layering', () => {
  it('model/ imports neither views/ nor load/', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('.', import.meta.url);
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.ts')) continue;
      const src = readFileSync(new URL(f, dir), 'utf8');
      expect(src, f).not.toMatch(/from '\.\.\/(views|load)\//);
    }
  });
});
