import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SM_METHODS, SM_PARAMS, smQualname } from '../format/spec.ts';
import { MemoryLayoutDesc, ObjectKey, PrefetchMode, RawTagged, TrimPolicy, type TraceRecord } from '../model.ts';
import { TraceParser } from '../read/trace-parser.ts';
import {
  TraceBuilder,
  cutAt,
  cutInsidePrefix,
  insertFrame,
  malformedRecordBody,
  smallCalls,
  testKey,
  testSeed,
  trafficCalls,
  trafficEvents,
  trafficTrace,
  unknownTag,
  writeTraffic,
  type TrafficCall,
  type TrafficSummary,
} from './index.ts';

const SEED = testSeed('trace builder property tests');
const LAYOUT = new MemoryLayoutDesc([[2, 4, 16]], ['torch.float16']);
const dir = mkdtempSync(join(tmpdir(), 'kvtrace-builder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function parse(bytes: Uint8Array) {
  const p = new TraceParser();
  const records = p.push(bytes);
  p.finish();
  return { header: p.header!, records, report: p.report };
}

/** Byte equality without vitest's per-element diff (seconds on a megabyte). */
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
const keysOf = (c: TrafficCall): ObjectKey[] => (c.args as { keys: ObjectKey[] }).keys;
const ids = (ks: readonly ObjectKey[]): string[] => ks.map((k) => k.id);

describe('TraceBuilder (low level)', () => {
  it('writes a header with the config and its digest, and records with the parameter names of SM_PARAMS, defaults filled in', () => {
    const b = TraceBuilder.memory({ config: { l1_size_gb: 2, eviction_policy: 'LRU' }, tMonoStart: 50, tWallStart: 1.7e9 });
    const k = [testKey(1), testKey(2)];
    b.call('reserve_write', 0.5, { keys: k, layout_desc: LAYOUT, mode: 'new' });
    b.call('submit_prefetch_task', 0.75, { keys: k, layout_desc: LAYOUT });
    b.call('read_prefetched_results.__enter__', 1, { keys: k });
    const { header, records } = parse(b.bytes());
    expect(header).toMatchObject({ sm_config_json: '{"eviction_policy": "LRU", "l1_size_gb": 2}', digest_valid: true, t_mono_start: 50, t_wall_start: 1.7e9 });
    expect(records.map((r) => r.qualname)).toEqual([smQualname('reserve_write'), smQualname('submit_prefetch_task'), smQualname('read_prefetched_results.__enter__')]);
    expect(Object.keys(records[0]!.args())).toEqual(SM_PARAMS.reserve_write);
    expect(Object.keys(records[1]!.args())).toEqual(SM_PARAMS.submit_prefetch_task);
    expect(Object.keys(records[2]!.args())).toEqual(SM_PARAMS.read_prefetched_results);
    expect(records[1]!.args()).toMatchObject({ extra_count: 0, external_request_id: '', policy: TrimPolicy.PREFIX, skip_l2: false, mode: PrefetchMode.LOOKUP });
    expect(ids(records[1]!.args().keys as ObjectKey[])).toEqual(ids(k));
    expect(records.map((r) => [r.t_mono, r.t_wall])).toEqual([
      [0.5, 1.7e9 + 0.5],
      [0.75, 1.7e9 + 0.75],
      [1, 1.7e9 + 1],
    ]);
    expect(b.records).toBe(3);
    expect(b.byQualname.get(smQualname('reserve_write'))).toBe(1);
  });

  it('refuses a missing required argument and an unknown one, naming them; extra arguments come after the method’s own', () => {
    const b = TraceBuilder.memory();
    expect(() => b.call('finish_write', 0, {})).toThrow(/finish_write: argument "keys" is required/);
    expect(() => b.call('finish_write', 0, { keys: [], mode: 'new' } as never)).toThrow(/finish_write has no parameter "mode"/);
    b.call('finish_write', 0, { keys: [] }, { i: 7 });
    b.record('some.Other.method', 0.1, ['x'], [1]);
    const { records } = parse(b.bytes());
    expect(records[0]!.args()).toEqual({ keys: [], i: 7 });
    expect(records[1]).toMatchObject({ qualname: 'some.Other.method' });
    expect(records[1]!.args()).toEqual({ x: 1 });
  });

  it('returns each frame’s byte offset, as the reader reports it', () => {
    const b = TraceBuilder.memory();
    const offsets = Array.from({ length: 5 }, (_, i) => b.call('finish_write', i, { keys: [testKey(i)] }));
    expect(parse(b.bytes()).records.map((r) => r.offset)).toEqual(offsets);
    expect(b.offset).toBe(b.bytes().length);
  });

  it('streams to a file in bounded memory: the same bytes as in memory, never more than flushBytes plus one frame held', () => {
    const path = join(dir, 'streamed.lct');
    const flushBytes = 16 * 1024;
    const f = TraceBuilder.file(path, { config: { a: 1 } }, { flushBytes });
    const o = { seed: SEED, records: 4000, keysPerCall: [16, 32] as const, layout: LAYOUT };
    writeTraffic(f, o);
    f.close();
    f.close();
    const m = TraceBuilder.memory({ config: { a: 1 } });
    writeTraffic(m, o);
    const bytes = new Uint8Array(readFileSync(path));
    expect(bytes.length).toBeGreaterThan(20 * flushBytes);
    expect(same(bytes, m.bytes())).toBe(true);
    const largestFrame = Math.max(...parse(bytes).records.map((r) => r.frameBytes));
    expect(f.maxBuffered).toBeLessThan(flushBytes + largestFrame);
    expect(() => f.call('finish_write', 0, { keys: [] })).toThrow(/closed/);
    expect(() => f.bytes()).toThrow(/memory trace/);
  });
});

describe('damage helpers', () => {
  const build = () => {
    const b = TraceBuilder.memory();
    const offsets = Array.from({ length: 6 }, (_, i) => b.call('finish_write', i * 0.01, { keys: [testKey(i)] }));
    return { bytes: b.bytes(), offsets };
  };

  it('a tail cut at every byte of the last frame keeps the records before it and reports the cut frame', () => {
    const { bytes, offsets } = build();
    const last = offsets[5]!;
    for (let at = last + 1; at < bytes.length; at++) {
      const { records, report } = parse(cutAt(bytes, at));
      expect(records).toHaveLength(5);
      expect(report.truncated).toMatchObject({ offset: last, available: at - last - (at - last >= 4 ? 4 : 0) });
    }
    const { report } = parse(cutInsidePrefix(bytes, last, 3));
    expect(report.truncated).toMatchObject({ offset: last, claimed: null });
    expect(() => cutInsidePrefix(bytes, last, 4)).toThrow(RangeError);
  });

  it('inserted malformed frames are skipped and reported at their offsets; an unknown tag is kept raw', () => {
    const { bytes, offsets } = build();
    let damaged = insertFrame(bytes, offsets[2]!, malformedRecordBody('wrong-types'));
    const notMap = malformedRecordBody('not-a-map');
    damaged = insertFrame(damaged, damaged.length, notMap);
    const { records, report } = parse(damaged);
    expect(records).toHaveLength(6);
    expect(report.malformed).toBe(2);
    expect(report.malformedFrames.map((f) => f.offset)).toEqual([offsets[2], damaged.length - 4 - notMap.length]);
    const b = TraceBuilder.memory();
    b.call('finish_write', 0, { keys: [testKey(1)] }, { future: unknownTag('PrefetchTaskSpec', { group_size: 2 }) });
    const r = parse(b.bytes()).records[0]!;
    const v = r.args().future as RawTagged;
    expect(v).toBeInstanceOf(RawTagged);
    expect([v.tag, v.payload]).toEqual(['PrefetchTaskSpec', { group_size: 2 }]);
    expect(r.unknownTags).toBe(1);
  });
});

describe('seeded traffic (high level)', () => {
  const o = { seed: SEED, requests: 300, keysPerCall: [4, 12] as const, documents: 20, layout: LAYOUT };

  it('the same seed gives the same bytes, another seed other bytes', () => {
    expect(same(trafficTrace(o).bytes, trafficTrace(o).bytes)).toBe(true);
    expect(same(trafficTrace({ ...o, seed: SEED + 1 }).bytes, trafficTrace(o).bytes)).toBe(false);
  });

  it('one request at a time: prefetch → read of the cached prefix → release → write of the rest, hits as the writes before them decide', () => {
    const calls = [...trafficCalls({ ...o, concurrency: 1 })];
    const written = new Set<string>();
    let i = 0;
    let requests = 0;
    let hits = 0;
    while (i < calls.length) {
      const p = calls[i++]!;
      expect(p.method).toBe(SM_METHODS.submitPrefetchTask);
      expect((p.args as { external_request_id: string }).external_request_id).toBe(`req-${requests++}`);
      const keys = keysOf(p);
      expect(keys.length).toBeGreaterThanOrEqual(4);
      expect(keys.length).toBeLessThanOrEqual(12);
      let found = 0;
      while (found < keys.length && written.has(keys[found]!.id)) found++;
      if (found > 0) {
        hits++;
        for (const m of [SM_METHODS.readPrefetchedEnter, SM_METHODS.readPrefetchedExit, SM_METHODS.finishReadPrefetched]) {
          const c = calls[i++]!;
          expect(c.method).toBe(m);
          expect(ids(keysOf(c))).toEqual(ids(keys.slice(0, found)));
        }
      }
      if (found < keys.length) {
        const r = calls[i++]!;
        expect(r.method).toBe(SM_METHODS.reserveWrite);
        expect(r.args).toMatchObject({ mode: 'new', layout_desc: LAYOUT });
        expect(ids(keysOf(r))).toEqual(ids(keys.slice(found)));
        const f = calls[i++]!;
        expect(f.method).toBe(SM_METHODS.finishWrite);
        // Alone in flight, a request reserves every key it misses.
        expect(ids(keysOf(f))).toEqual(ids(keys.slice(found)));
        for (const k of keysOf(f)) written.add(k.id);
      }
    }
    expect(requests).toBe(300);
    // Zipf documents and follow-ups share prefixes: a good share of requests hit.
    expect(hits).toBeGreaterThan(100);
    expect(new Set(calls.flatMap((c) => keysOf(c).map((k) => k.modelName))).size).toBe(2);
  });

  it('concurrent requests interleave; every read scope closes over the same keys, writes finish only what they reserved', () => {
    const summary: TrafficSummary = { records: 0, requests: 0, byMethod: {}, keysFound: 0, keysLookedUp: 0 };
    const calls = [...trafficCalls({ ...o, concurrency: 6 }, summary)];
    expect(summary.requests).toBe(300);
    expect(summary.records).toBe(calls.length);
    // Interleaved: some call follows a prefetch of another request before its own flow ended.
    let prefetchesInRow = 0;
    for (let i = 1; i < calls.length; i++) if (calls[i]!.method === SM_METHODS.submitPrefetchTask && calls[i - 1]!.method === SM_METHODS.submitPrefetchTask) prefetchesInRow++;
    expect(prefetchesInRow).toBeGreaterThan(0);
    const open = new Map<string, number>();
    const reserved = new Map<string, number>();
    for (const c of calls) {
      const id = ids(keysOf(c)).join(',');
      if (c.method === SM_METHODS.readPrefetchedEnter) open.set(id, (open.get(id) ?? 0) + 1);
      if (c.method === SM_METHODS.readPrefetchedExit) {
        expect(open.get(id), 'exit without an enter').toBeGreaterThan(0);
        open.set(id, open.get(id)! - 1);
      }
      if (c.method === SM_METHODS.reserveWrite) for (const k of keysOf(c)) reserved.set(k.id, (reserved.get(k.id) ?? 0) + 1);
      if (c.method === SM_METHODS.finishWrite) for (const k of keysOf(c)) expect(reserved.get(k.id), 'finish_write of a key never reserved').toBeGreaterThan(0);
    }
    expect([...open.values()].every((n) => n === 0)).toBe(true);
    expect(summary.byMethod[SM_METHODS.readPrefetchedEnter]).toBe(summary.byMethod[SM_METHODS.readPrefetchedExit]);
    expect(summary.keysFound).toBeGreaterThan(0);
  });

  it('`records` stops at exactly that many calls; timeScale stretches every gap; a bounded cache hits less', () => {
    const a = [...trafficCalls({ ...o, requests: undefined, records: 777 })];
    expect(a).toHaveLength(777);
    const b = [...trafficCalls({ ...o, requests: undefined, records: 777, timeScale: 3 })];
    b.forEach((c, i) => expect(c.t).toBeCloseTo(3 * a[i]!.t, 9));
    expect(a.every((c, i) => i === 0 || c.t >= a[i - 1]!.t)).toBe(true);
    const hits = (cacheKeys?: number) => {
      const s: TrafficSummary = { records: 0, requests: 0, byMethod: {}, keysFound: 0, keysLookedUp: 0 };
      for (const _ of trafficCalls({ ...o, cacheKeys }, s));
      return s.keysFound;
    };
    expect(hits(16)).toBeLessThan(hits());
    const uniform = [...trafficCalls({ ...o, requests: 50, keysPerCall: 7, allMisses: true })];
    expect(new Set(uniform.map((c) => keysOf(c).length))).toEqual(new Set([7]));
    expect(new Set(uniform.map((c) => c.method))).toEqual(new Set([SM_METHODS.submitPrefetchTask, SM_METHODS.reserveWrite, SM_METHODS.finishWrite]));
    expect(() => [...trafficCalls({ seed: 1 })]).toThrow(/requests.*records/);
    expect(() => [...trafficCalls({ records: 1, keysPerCall: [5, 2] })]).toThrow(/keysPerCall/);
  });

  it('fresh keys are new objects with the same fields; events carry the method’s names and absolute times', () => {
    const fresh = [...trafficCalls({ ...o, requests: 20, freshKeys: true })];
    const shared = [...trafficCalls({ ...o, requests: 20 })];
    expect(fresh.map((c) => ids(keysOf(c)))).toEqual(shared.map((c) => ids(keysOf(c))));
    expect(keysOf(fresh[0]!)[0]).not.toBe(keysOf(shared[0]!)[0]);
    const ev = trafficEvents({ ...o, records: 3 });
    expect(ev[0]).toMatchObject({ qualname: smQualname('submit_prefetch_task'), argNames: SM_PARAMS.submit_prefetch_task });
    expect(ev[0]!.tMono).toBeCloseTo(1000 + shared[0]!.t, 9);
  });

  it('small calls: keys-only methods in turn, keys in one call of every keyEvery', () => {
    const b = TraceBuilder.memory();
    for (const c of smallCalls({ records: 40, keys: 3, keyEvery: 10, seed: SEED })) b.call(c.method, c.t, c.args);
    const { records } = parse(b.bytes());
    expect(records).toHaveLength(40);
    const short = (r: TraceRecord) => r.qualname.slice(r.qualname.lastIndexOf('StorageManager.') + 15);
    expect(records.slice(0, 4).map(short)).toEqual(['finish_write', 'read_prefetched_results.__enter__', 'read_prefetched_results.__exit__', 'finish_read_prefetched']);
    expect(records.map((r) => (r.args().keys as unknown[]).length)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 10 === 0 ? 3 : 0)));
  });
});

describe('testSeed', () => {
  it('reads KVTRACE_SEED, refuses a non-integer with the variable named', () => {
    expect(testSeed('t', { KVTRACE_SEED: '42' })).toBe(42);
    expect(() => testSeed('t', { KVTRACE_SEED: 'abc' })).toThrow(/KVTRACE_SEED must be a non-negative integer/);
    expect(Number.isInteger(testSeed('t', {}))).toBe(true);
  });
});
