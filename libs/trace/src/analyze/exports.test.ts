import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, PrefetchHandle, PrefetchRequestSpec, RawTagged, Tuple, TrimPolicy, type ObjectKey } from '../model.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { fixtureBytes } from '../test-support/fixtures.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { compareStats } from './compare.ts';
import { ChromeTraceWriter } from './export/chrome.ts';
import { exportRow } from './export/row.ts';
import { CSV_COLUMNS, csvField, csvHeader, csvLine, jsonLine } from './export/text.ts';
import { Script, key } from './testing.ts';
import { toJsonValue } from './to-json.ts';

function loadSmall() {
  const p = new TraceParser();
  const recs = p.push(fixtureBytes('workload-small.lct'));
  p.finish();
  const a = new TraceAnalyzer();
  for (const r of recs) a.addRecord(r);
  return { a, recs };
}

interface Ev { ph: string; name: string; cat?: string; ts?: number; dur?: number; tid: number; args: Record<string, unknown> }

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

/** Every call of a trace through a text exporter, as the CLI and the inspector both do it. */
function rows(recs: ReturnType<typeof loadSmall>['recs']) {
  return recs.map((r, c) => exportRow(c, r.index, r));
}

describe('JSON lines and CSV (one schema for the CLI and the inspector)', () => {
  it('one line per call with every argument decoded; CSV quotes the args JSON', () => {
    const { recs } = loadSmall();
    const all = rows(recs);
    const lines = all.map(jsonLine).join('').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(300);
    const first = lines.find((l) => l['method'] === 'submit_prefetch_task')!;
    expect(Object.keys(first)).toEqual(CSV_COLUMNS.filter((c) => c !== 'args_error'));
    expect(first['t_wall']).toBe(recs[first['record'] as number]!.t_wall);
    expect(first['offset']).toBe(recs[first['record'] as number]!.offset);
    expect((first['args'] as { keys: { chunk_hash: string }[] }).keys[0]!.chunk_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first['keys']).toBe(new Set((recs[first['record'] as number]!.args()['keys'] as ObjectKey[]).map((k) => k.id)).size);
    const csv = (csvHeader() + all.map(csvLine).join('')).split('\r\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv).toHaveLength(302); // header, rows, trailing empty
    expect(csv[1]).toMatch(/^,0,0,\d+,[\d.e-]+,[\d.]+,\w+,lmcache\.[\w.]+,\d+,[^,]*,"\{""keys"":/);
    expect(csvField('a,"b"')).toBe('"a,""b"""');
  });

  it('a record whose arguments do not decode keeps its row and says why', () => {
    const bad = { offset: 10, t_mono: 1, t_wall: 2, qualname: 'x.y', args: () => { throw new Error('truncated map'); } };
    const r = exportRow(3, 3, bad);
    expect(r).toMatchObject({ args: null, args_error: 'truncated map', keys: 0 });
    expect(JSON.parse(jsonLine(r))).toMatchObject({ args: null, args_error: 'truncated map' });
    expect(csvLine(r).endsWith(',,truncated map\r\n')).toBe(true);
  });
});

describe('Chrome trace-event export', () => {
  function chrome(a: TraceAnalyzer, recs: ReturnType<typeof loadSmall>['recs'], otherData: Record<string, string> = {}) {
    const w = new ChromeTraceWriter({ processName: 'test', otherData });
    let out = w.begin();
    for (const r of rows(recs)) out += w.call(r);
    out += w.end(a.spans(), (id) => a.index.erids.get(id));
    return JSON.parse(out) as { traceEvents: Ev[]; otherData: Record<string, string> };
  }

  it('is valid JSON: one instant per call with all its arguments, method threads, request spans with their phases', () => {
    const { a, recs } = loadSmall();
    const doc = chrome(a, recs, { file: 'workload-small.lct' });
    expect(doc.otherData['file']).toBe('workload-small.lct');
    const ev = doc.traceEvents;
    const instants = ev.filter((e) => e.ph === 'i');
    expect(instants).toHaveLength(300);
    expect(instants[0]!.args['args']).toEqual(rows(recs)[0]!.args);
    const threads = ev.filter((e) => e.ph === 'M' && e.name === 'thread_name');
    expect(threads.filter((e) => e.tid <= 6).map((e) => e.args['name']).sort()).toEqual([
      'finish_read_prefetched', 'finish_write', 'read_prefetched_results.__enter__', 'read_prefetched_results.__exit__', 'reserve_write', 'submit_prefetch_task',
    ]);
    const spans = ev.filter((e) => e.ph === 'X' && e.cat === 'request');
    const writes = spans.filter((e) => e.name === 'write (done)');
    const reads = spans.filter((e) => e.name === 'read (done)');
    // The workload finishes each reserve_write with one finish_write: one span per request.
    expect(writes).toHaveLength(70);
    expect(writes.reduce((n, e) => n + (e.args['found'] as number), 0)).toBe(a.summary().lifecycles.writes_paired);
    expect(reads).toHaveLength(40);
    const phases = ev.filter((e) => e.ph === 'X' && e.cat === 'phase');
    expect(phases.filter((e) => e.name === 'read_prefetched_results')).toHaveLength(40);
    expect(phases).toHaveLength(120);
    // Spans on one thread never overlap (Perfetto would drop them); phases lie inside their read.
    // Compared in integer nanoseconds, as Perfetto stores them.
    const ns = (us: number) => Math.round(us * 1000);
    const endNs = (e: Ev) => ns(e.ts!) + ns(e.dur!);
    const byTid = new Map<number, Ev[]>();
    for (const e of spans) byTid.set(e.tid, [...(byTid.get(e.tid) ?? []), e]);
    for (const list of byTid.values()) {
      list.sort((x, y) => x.ts! - y.ts!);
      for (let i = 1; i < list.length; i++) expect(ns(list[i]!.ts!)).toBeGreaterThanOrEqual(endNs(list[i - 1]!));
    }
    for (const c of phases) expect(reads.find((r) => r.tid === c.tid && ns(r.ts!) <= ns(c.ts!) && endNs(c) <= endNs(r))).toBeDefined();
  });

  it('shows open requests as spans to the last call, named by their status', () => {
    const s = new Script();
    s.reserve([key(1), key(2)]);
    s.prefetch([key(3)], 'req-9');
    s.finishWrite([key(9)]);
    const w = new ChromeTraceWriter();
    let out = w.begin();
    for (let c = 0; c < s.a.index.length; c++) out += w.call({ server: '', call: c, record: c, offset: 0, t_mono: s.a.index.timeOf(c), t_wall: 0, method: 'm', qualname: 'q', keys: 0, external_request_id: '', args: { n: c }, args_error: null });
    out += w.end(s.a.spans(), (id) => s.a.index.erids.get(id));
    const doc = JSON.parse(out) as { traceEvents: Ev[] };
    const spans = doc.traceEvents.filter((e) => e.ph === 'X');
    expect(spans.map((e) => [e.name, e.args['keys']])).toEqual([
      ['write (undecided)', 2],
      ['read (undecided)', 1],
    ]);
    expect(spans[1]!.args['external_request_id']).toBe('req-9');
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
    const other = s.a.stats();
    const cmp = compareStats(base, other);
    const rw = cmp.methods.find((m) => m.name === 'reserve_write')!;
    expect(rw.count).toMatchObject({ a: 70, b: 130, abs: 60, notable: true });
    expect(rw.count.rel).toBeCloseTo(60 / 70, 12);
    expect(cmp.methods.find((m) => m.name === 'submit_prefetch_task')).toMatchObject({ onlyIn: 'a', count: { b: 0, rel: -1, notable: true } });
    expect(cmp.flags.write_undecided).toMatchObject({ a: 0, b: 30, rel: null, notable: true });
    expect(cmp.phases.find((p) => p.phase === 'read')!.count).toMatchObject({ b: 0, notable: true });
  });
});
