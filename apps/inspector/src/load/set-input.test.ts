import { createDefaultRegistry, ObjectKey, shortMethodName, TraceParser, type TraceRecord } from '@kvtrace/trace';
import { describe, expect, it } from 'vitest';
import { ArgsCache } from '../model/args-cache.ts';
import { BYTES_PER_RECORD, RecordStore, type RecordBatch } from '../model/record-store.ts';
import { TraceSession } from '../model/session.ts';
import { planTraces } from '../model/trace-set.ts';
import { trafficSegments } from '../test-support/test-trace.ts';
import { AnalysisHost } from './analysis-host.ts';
import { ColumnBatcher } from './column-batcher.ts';
import { SetInput, type LoadInput } from './input.ts';
import type { TraceSpec } from './protocol.ts';
import { fileRangeSource } from './sources.ts';

/**
 * The worker's load of a set, in-process: SetInput (libs/trace's segments and merge over Blob
 * streams) feeding the AnalysisHost and the column batches the store receives, as worker.ts does.
 */
const WALL = 1776340800;

/** Two servers with the same traffic (the same ObjectKeys), node-b rotated into two segments, 0.4 ms apart. */
function fleet(change: (files: Map<string, Uint8Array>) => void = () => undefined) {
  const files = new Map<string, Uint8Array>();
  files.set('node-a.lct', trafficSegments({ seed: 5, requests: 12, tWallStart: WALL })[0]!);
  const [b0, b1] = trafficSegments({ seed: 5, requests: 12, tWallStart: WALL + 0.0004, cuts: [40] });
  // Listed out of order on purpose: the plan orders recordings and segments.
  files.set('node-b.000001.lct', b1!);
  files.set('node-b.lct', b0!);
  change(files);
  const blobs = [...files].map(([name, bytes]) => new File([bytes.slice()], name));
  const planned = planTraces(blobs, (f) => f.name);
  const traces: TraceSpec[] = planned.map((t) => ({
    server: t.server,
    files: t.files.map((f) => ({ name: f.name, source: { kind: 'file', file: f.item } })),
    missing: t.missing,
  }));
  // By file id: every trace's files in order, as the loader numbers them.
  return { files, traces, blobs: planned.flatMap((t) => t.files.map((f) => f.item)) };
}

async function load(traces: TraceSpec[], blobs: File[]) {
  const input: LoadInput = new SetInput(traces, { decodeArgs: true }, () => 'unreachable');
  const host = new AnalysisHost(blobs.map(fileRangeSource), traces.map((t) => t.server));
  const session = new TraceSession();
  session.begin('set', null);
  const header = await input.header();
  session.onHeader(header, null, input.traces ?? undefined);
  const batches: RecordBatch[] = [];
  const batcher = new ColumnBatcher((b) => batches.push(b), { first: 16, size: 64, flushMs: 0, files: true });
  const recs: { rec: TraceRecord; file: number; trace: number }[] = [];
  let known = 0;
  for await (const batch of input.batches()) {
    for (const rec of batch) {
      const file = input.fileOf(rec), trace = input.traceOf(rec);
      const id = host.methodId(rec.qualname);
      const isNew = id === known;
      if (isNew) known++;
      host.add(rec, file, trace);
      batcher.add(rec.t_mono, id, rec.offset, rec.frameBytes, isNew ? rec.qualname : null, file);
      recs.push({ rec, file, trace });
    }
    batcher.endChunk();
  }
  batcher.flush();
  batcher.dispose();
  for (const b of batches) session.onBatch(b, input.progress());
  const r = input.report();
  session.finish({ ...r, argDecodeErrors: r.argDecodeErrors, files: input.fileReports(true, false) ?? undefined });
  host.complete = true;
  return { host, session, recs, input };
}

const records = (bytes: Uint8Array) => {
  const p = new TraceParser();
  const out = p.push(bytes);
  p.finish();
  return out;
};

describe('a set of traces loaded as one (the worker, in-process)', () => {
  it('merges two servers on the wall clock, one rotated: files, servers and offsets per record', async () => {
    const { files, traces, blobs } = fleet();
    expect(traces.map((t) => [t.server, t.files.map((f) => f.name)])).toEqual([
      ['node-a', ['node-a.lct']],
      ['node-b', ['node-b.lct', 'node-b.000001.lct']],
    ]);
    const { session, recs } = await load(traces, blobs);
    const a = records(files.get('node-a.lct')!), b0 = records(files.get('node-b.lct')!), b1 = records(files.get('node-b.000001.lct')!);
    expect(recs).toHaveLength(a.length + b0.length + b1.length);
    // Each file's records in its order, at its own offsets; node-b's segment records count on.
    const own = (file: number) => recs.filter((r) => r.file === file).map((r) => [r.rec.offset, r.rec.qualname]);
    expect(own(0)).toEqual(a.map((r) => [r.offset, r.qualname]));
    expect(own(1)).toEqual(b0.map((r) => [r.offset, r.qualname]));
    expect(own(2)).toEqual(b1.map((r) => [r.offset, r.qualname]));
    expect(recs.filter((r) => r.trace === 1).map((r) => r.rec.index)).toEqual([...b0, ...b1].map((_, i) => i));
    // One wall clock: node-b is 0.4 ms later, so its t_mono is shifted by that; the order follows it.
    for (const r of recs) expect(r.rec.t_mono + WALL).toBeCloseTo(r.rec.t_wall, 6);
    expect(recs.every((r, i) => i === 0 || recs[i - 1]!.rec.t_wall <= r.rec.t_wall + 1e-9)).toBe(true);
    expect(new Set(recs.slice(0, 20).map((r) => r.trace))).toEqual(new Set([0, 1]));

    const snap = session.getSnapshot();
    expect(snap.state).toBe('ready');
    expect(snap.traces.map((t) => [t.server, t.files])).toEqual([
      ['node-a', ['node-a.lct']],
      ['node-b', ['node-b.lct', 'node-b.000001.lct']],
    ]);
    const store = session.store;
    expect(store.servers).toEqual(['node-a', 'node-b']);
    expect(Array.from({ length: store.length }, (_, i) => store.serverOf(i))).toEqual(recs.map((r) => (r.trace === 0 ? 'node-a' : 'node-b')));
    expect(snap.report?.files?.map((f) => [f.name, f.records])).toEqual([
      ['node-a.lct', a.length],
      ['node-b.lct', b0.length],
      ['node-b.000001.lct', b1.length],
    ]);
  });

  it("reads each row's arguments back from its own file", async () => {
    const { traces, blobs } = fleet();
    const { session, recs } = await load(traces, blobs);
    const args = new ArgsCache(session.store, createDefaultRegistry());
    args.setSources(blobs.map(fileRangeSource));
    const sample = [0, 1, 2, recs.length - 1, recs.findIndex((r) => r.file === 2), recs.findIndex((r) => r.file === 1)];
    args.request(sample);
    await args.idle();
    for (const i of sample) {
      const e = args.get(i);
      expect(e?.ok, `row ${i}`).toBe(true);
      if (e?.ok) expect(JSON.stringify(e.args)).toBe(JSON.stringify(recs[i]!.rec.args()));
    }
  });

  it("follows a key within the call's server, filters by server:, and answers each row's request span", async () => {
    const { traces, blobs } = fleet();
    const { host, recs } = await load(traces, blobs);
    const ask = async <T,>(req: Parameters<AnalysisHost['handle']>[0]) => (await host.handle(req)).answer as T;
    // The first read's key, on each server (same seed: the same ObjectKey on both).
    const enterOf = (trace: number) => recs.findIndex((r) => r.trace === trace && shortMethodName(r.rec.qualname) === 'read_prefetched_results.__enter__');
    const ea = enterOf(0), eb = enterOf(1);
    const k = (recs[ea]!.rec.args().keys as ObjectKey[])[0]!;
    expect((recs[eb]!.rec.args().keys as ObjectKey[]).some((x) => x.hashHex === k.hashHex)).toBe(true);
    const wire = { chunkHash: k.chunkHash, modelName: k.modelName, kvRank: k.kvRank, objectGroupId: k.objectGroupId, cacheSalt: k.cacheSalt };
    const ka = await ask<number>({ kind: 'keyOf', key: wire, call: ea });
    const kb = await ask<number>({ kind: 'keyOf', key: wire, call: eb });
    expect(ka).toBeGreaterThanOrEqual(0);
    expect(kb).toBeGreaterThanOrEqual(0);
    expect(ka).not.toBe(kb);
    const callsA = await ask<Uint32Array>({ kind: 'filter', query: { methods: null, keyId: ka } });
    const callsB = await ask<Uint32Array>({ kind: 'filter', query: { methods: null, keyId: kb } });
    expect(callsA.length).toBeGreaterThan(1);
    expect([...callsA].every((c) => recs[c]!.trace === 0)).toBe(true);
    expect([...callsB].every((c) => recs[c]!.trace === 1)).toBe(true);
    const report = await ask<{ server: string; info: { calls: number } }>({ kind: 'keyTimeline', keyId: kb });
    expect(report.server).toBe('node-b');

    const onB = await ask<Uint32Array>({ kind: 'filter', query: { methods: null, text: 'server:node-b' } });
    expect([...onB]).toEqual(recs.flatMap((r, i) => (r.trace === 1 ? [i] : [])));

    const spans = await ask<{ call: number; kind: string | null; duration: number; externalRequestId: string; phases: Record<string, number> }[]>({ kind: 'callSpans', calls: [ea, eb, 0] });
    for (const [s, call] of [[spans[0]!, ea], [spans[1]!, eb]] as const) {
      expect(s.call).toBe(call);
      expect(s.kind).toBe('read');
      expect(s.externalRequestId).toMatch(/^req-\d+$/);
      expect(s.duration).toBe(host.analyzer.spanDurationOfCall(call));
      expect(s.duration).toBeGreaterThan(0);
      expect(s.phases.read_wait! + s.phases.read_body! + s.phases.read_release!).toBeCloseTo(s.duration, 9);
    }
    // The same request on both servers, 0.4 ms apart on the wall clock: the same durations.
    expect(spans[0]!.duration).toBeCloseTo(spans[1]!.duration, 9);
  });

  it('exports every server, arguments read back from each file, with a server column', async () => {
    const { traces, blobs } = fleet();
    const { host, recs } = await load(traces, blobs);
    const blob = (await host.handle({ kind: 'export', format: 'jsonl', query: null, name: 'set' })).answer as Blob;
    const rows = (await blob.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { server: string; record: number; offset: number; method: string; keys: number });
    expect(rows.map((r) => [r.server, r.record, r.offset])).toEqual(recs.map((r) => [r.trace === 0 ? 'node-a' : 'node-b', r.rec.index, r.rec.offset]));
    expect(rows.map((r) => r.keys)).toEqual(recs.map((r) => (r.rec.args().keys as unknown[] | undefined)?.length ?? 0));
  });

  it('reports damage on the file it is in; a segment that does not continue its recording ends that trace only', async () => {
    const cut = fleet((files) => {
      const b1 = files.get('node-b.000001.lct')!;
      files.set('node-b.000001.lct', b1.subarray(0, b1.length - 7));
    });
    const t = await load(cut.traces, cut.blobs);
    const reports = t.session.getSnapshot().report!.files!;
    expect(reports.map((f) => f.truncated !== null)).toEqual([false, false, true]);
    expect(t.session.getSnapshot().state).toBe('partial');

    const other = fleet((files) => {
      files.set('node-b.000001.lct', trafficSegments({ seed: 5, requests: 12, tWallStart: WALL + 0.0004, cuts: [40], config: { l1_size_gb: 99 } })[1]!);
    });
    const o = await load(other.traces, other.blobs);
    const files = o.session.getSnapshot().report!.files!;
    expect(files[2]!.error).toMatch(/^node-b\.000001\.lct: sm_config_digest .* differs/);
    expect(files[0]!.error).toBeUndefined();
    expect(o.recs.filter((r) => r.trace === 0)).toHaveLength(records(other.files.get('node-a.lct')!).length);
    expect(o.recs.filter((r) => r.trace === 1)).toHaveLength(40);
    expect(o.session.getSnapshot().state).toBe('partial');
  });

  it("fails with the file's name when a trace's first header does not read", async () => {
    const bad = fleet((files) => files.set('node-a.lct', new Uint8Array([0, 0, 0, 3, 1, 2, 3])));
    await expect(new SetInput(bad.traces, {}, () => '').header()).rejects.toThrow(/^node-a\.lct: /);
  });
});

describe('RecordStore with several files', () => {
  it('keeps a file column only once a batch has one, and names each row\'s server', () => {
    const s = new RecordStore();
    s.setFiles(
      [
        { name: 'a.lct', trace: 0 },
        { name: 'b.lct', trace: 1 },
        { name: 'b.000001.lct', trace: 1 },
      ],
      ['a', 'b'],
    );
    const batch = (n: number, file?: number[]): RecordBatch => ({
      count: n,
      tMono: new Float64Array(n),
      method: new Uint16Array(n),
      offset: new Float64Array(n),
      frameBytes: new Uint32Array(n),
      newMethods: [],
      ...(file ? { file: Uint16Array.from(file) } : {}),
    });
    s.append(batch(2, [0, 2]));
    s.append(batch(3, [1, 1, 0]));
    expect(Array.from({ length: 5 }, (_, i) => [s.fileOf(i), s.serverOf(i)])).toEqual([
      [0, 'a'],
      [2, 'b'],
      [1, 'b'],
      [1, 'b'],
      [0, 'a'],
    ]);
    expect(s.severalServers).toBe(true);
    s.trim();
    // Several files: a file column and an offset per record (their records interleave).
    expect(s.byteLength).toBe(5 * (BYTES_PER_RECORD + 2 + 8));
    s.clear();
    expect([s.servers, s.files.length, s.file.length]).toEqual([[''], 0, 0]);
  });
});
