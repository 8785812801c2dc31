import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, PrefetchHandle, PrefetchRequestSpec, RawTagged, Tuple, TrimPolicy } from '../model.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { fixtureBytes } from '../test-support/fixtures.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { chromeTrace, chromeTraceChunks } from './chrome-trace.ts';
import { compareStats } from './compare.ts';
import { CSV_COLUMNS, csvField, toCsv, toJsonl } from './export-rows.ts';
import { Script, key } from './testing.ts';
import { toJsonValue } from './to-json.ts';

function loadSmall() {
  const p = new TraceParser();
  const recs = p.push(fixtureBytes('workload-small.lct'));
  p.finish();
  const a = new TraceAnalyzer();
  for (const r of recs) a.addRecord(r);
  a.finish();
  return { a, recs, source: { record: (i: number) => recs[i]! } };
}

interface Ev { ph: string; name: string; ts?: number; dur?: number; tid: number; args: Record<string, number | boolean | string> }

describe('to-json', () => {
  it('renders bytes, keys, tagged and model values as JSON', () => {
    const k = key(0x01020304);
    expect(toJsonValue(new Uint8Array([0, 255]))).toBe('00ff');
    expect(toJsonValue(k)).toEqual({ chunk_hash: k.hashHex, model_name: 'org/Model-A', kv_rank: 0x01000100, object_group_id: 0, cache_salt: '' });
    expect(toJsonValue(new RawTagged('Future', { a: new Uint8Array([1]) }))).toEqual({ __t__: 'Future', v: { a: '01' } });
    expect(toJsonValue(new Tuple([1, 'x']))).toEqual([1, 'x']);
    expect(toJsonValue(new Set([2]))).toEqual([2]);
    expect(toJsonValue(TrimPolicy.PREFIX)).toBe('PREFIX');
    expect(toJsonValue(new MemoryLayoutDesc([[2, 3]], ['torch.half']))).toEqual({ shapes: [[2, 3]], dtypes: ['torch.half'] });
    expect(toJsonValue(new PrefetchRequestSpec([k], new MemoryLayoutDesc([[1]], ['torch.int8'])))).toMatchObject({ keys: [{ chunk_hash: k.hashHex }], policy: 'PREFIX', mode: 'LOOKUP', attn_desc: [-1] });
    expect(toJsonValue(new PrefetchHandle(-1, 'r', [0, 1, 3], 4, 1.5, [2]))).toMatchObject({ external_request_id: 'r', l1_prefix_hit_count: 3 });
    expect(toJsonValue(new Map<number, unknown>([[1, NaN]]))).toEqual({ 1: 'NaN' });
    expect(toJsonValue(2n ** 70n)).toBe('1180591620717411303424');
  });
});

describe('JSON lines and CSV of filtered calls', () => {
  it('one line per call with decoded args; CSV quotes the args JSON', () => {
    const { a, source, recs } = loadSmall();
    const calls = a.filter({ text: 'req-3' });
    const lines = toJsonl(calls, a.index, source).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['record'])).toEqual([...calls].map((c) => a.index.recordIndexOf(c)));
    const first = lines[0]!;
    expect(first['method']).toBe('submit_prefetch_task');
    expect(first['t_wall']).toBe(recs[first['record'] as number]!.t_wall);
    expect((first['args'] as { keys: { chunk_hash: string }[] }).keys[0]!.chunk_hash).toMatch(/^[0-9a-f]{64}$/);
    const csv = toCsv(calls, a.index, source).split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(calls.length + 2); // header, rows, trailing empty
    expect(csv[1]).toMatch(/^\d+,\d+,[\d.e-]+,[\d.]+,submit_prefetch_task,lmcache\.[\w.]+,\d+,"\{""keys"":/);
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });
});

describe('Chrome trace-event export', () => {
  it('is valid JSON with one instant per call, method threads, and lifecycle spans per call group', () => {
    const { a } = loadSmall();
    const chunks = [...chromeTraceChunks(a.index, a.lifecycles, { eventsPerChunk: 50, otherData: { file: 'workload-small.lct' } })];
    expect(chunks.length).toBeGreaterThan(5);
    const doc = JSON.parse(chunks.join('')) as { traceEvents: Ev[]; otherData: Record<string, string> };
    expect(doc.otherData['file']).toBe('workload-small.lct');
    const ev = doc.traceEvents;
    expect(ev.filter((e) => e.ph === 'i')).toHaveLength(300);
    const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threads.filter((e) => e.tid <= 6).map((e) => e.args['name']).sort()).toEqual([
      'finish_read_prefetched', 'finish_write', 'read_prefetched_results.__enter__', 'read_prefetched_results.__exit__', 'reserve_write', 'submit_prefetch_task',
    ]);
    const spans = ev.filter((e) => e.ph === 'X');
    const writes = spans.filter((e) => e.name === 'write');
    const reads = spans.filter((e) => e.name === 'read');
    // The workload finishes each reserve_write with one finish_write: one span per pair, keys summed.
    expect(writes).toHaveLength(70);
    expect(writes.reduce((n, e) => n + (e.args['keys'] as number), 0)).toBe(a.lifecycles.summary().writes.complete);
    expect(reads).toHaveLength(40);
    expect(spans.filter((e) => ['wait', 'body', 'release'].includes(e.name))).toHaveLength(120);
    // Spans on one thread never overlap (Perfetto would drop them); children lie inside their read.
    // Compared in integer nanoseconds, as Perfetto stores them.
    const ns = (us: number) => Math.round(us * 1000);
    const endNs = (e: Ev) => ns(e.ts!) + ns(e.dur!);
    const byTid = new Map<number, Ev[]>();
    for (const e of [...writes, ...reads]) byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
    for (const list of byTid.values()) {
      list.sort((x, y) => x.ts! - y.ts!);
      for (let i = 1; i < list.length; i++) expect(ns(list[i]!.ts!)).toBeGreaterThanOrEqual(endNs(list[i - 1]!));
    }
    for (const c of spans.filter((e) => e.name === 'wait' || e.name === 'body' || e.name === 'release')) {
      const parent = reads.find((r) => r.tid === c.tid && ns(r.ts!) <= ns(c.ts!) && endNs(c) <= endNs(r));
      expect(parent).toBeDefined();
    }
  });

  it('shows leaked lifecycles as spans to the last call, and can carry args', () => {
    const s = new Script();
    s.reserve([key(1), key(2)]);
    s.prefetch([key(3)]);
    s.finishWrite([key(9)]);
    s.a.finish();
    const recs = new Map<number, { t_mono: number; t_wall: number; qualname: string; args: () => Record<string, unknown> }>();
    for (let c = 0; c < s.a.index.length; c++) recs.set(c, { t_mono: s.a.index.timeOf(c), t_wall: 0, qualname: '', args: () => ({ n: c }) });
    const doc = JSON.parse(chromeTrace(s.a.index, s.a.lifecycles, { source: { record: (i) => recs.get(i)! }, includeArgs: true })) as { traceEvents: Ev[] };
    const spans = doc.traceEvents.filter((e) => e.ph === 'X');
    expect(spans.map((e) => [e.name, e.args['keys'], e.args['leaked']])).toEqual([
      ['write (never finished)', 2, true],
      ['read (never released)', 1, true],
    ]);
    expect(spans[0]!.ts! + spans[0]!.dur!).toBeCloseTo(s.a.index.timeOf(2) * 1e6, 3);
    expect(doc.traceEvents.find((e) => e.ph === 'i')!.args['args']).toEqual({ n: 0 });
  });
});

describe('compareStats', () => {
  it('matches methods by qualname and flags notable differences', () => {
    const { a } = loadSmall();
    const base = a.stats();
    const same = compareStats(base, base);
    expect(same.methods.every((m) => !m.count.notable && m.count.rel === 0)).toBe(true);
    expect(same.phases.every((p) => !p.p50.notable)).toBe(true);

    const s = new Script();
    for (let i = 0; i < 100; i++) {
      s.reserve([key(i)]);
      s.finishWrite([key(i)], );
    }
    for (let i = 0; i < 30; i++) s.reserve([key(1000 + i)]);
    s.a.finish();
    const other = s.a.stats();
    const cmp = compareStats(base, other);
    const rw = cmp.methods.find((m) => m.name === 'reserve_write')!;
    expect(rw.count).toMatchObject({ a: 70, b: 130, abs: 60, notable: true });
    expect(rw.count.rel).toBeCloseTo(60 / 70, 12);
    expect(cmp.methods.find((m) => m.name === 'submit_prefetch_task')).toMatchObject({ onlyIn: 'a', count: { b: 0, rel: -1, notable: true } });
    expect(cmp.flags.leaked_write).toMatchObject({ a: 0, b: 30, rel: null, notable: true });
    expect(cmp.phases.find((p) => p.phase === 'read')!.count).toMatchObject({ b: 0, notable: true });
  });
});
