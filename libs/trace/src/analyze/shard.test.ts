/**
 * A sharded index build (IndexShard over runs of frames, ShardMerger taking the parts back in trace
 * order) must be the one-worker build: every per-call column, every key, the filters, the request
 * lifecycles (spans, summary, flags), the statistics and the key timelines, exactly. Seeded: random
 * traffic, random cuts between shards, random chunkings of each shard's bytes, damage included (a
 * frame that is not a record, a record whose arguments do not decode), one trace and three merged.
 */
import { describe, expect, it } from 'vitest';
import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import type { ObjectKey, TraceRecord } from '../model.ts';
import { mergeTraces, type AlignedRecord } from '../read/merge.ts';
import { SegmentedTraceReader } from '../read/segments.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { DEFAULT_T_WALL_START, chunkedStream, insertFrame, malformedRecordBody, splitFrames, testSeed, trafficTrace } from '../test-support/index.ts';
import { seededRandom } from '../util/random.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { spanT0, spanT1, spanTEnter, spanTExit } from './request-report.ts';
import { IndexShard, ShardMerger } from './shard.ts';
import { FLAG_KINDS, PHASES } from './types.ts';
import { opensSpan } from './request-tracker.ts';

type Rand = () => number;

/** Everything the analysis answers, as plain data: equal fingerprints, equal analyses. */
function fingerprint(a: TraceAnalyzer): unknown {
  const ix = a.index;
  const calls = [];
  for (let c = 0; c < ix.length; c++)
    calls.push([ix.recordIndexOf(c), ix.methodOf(c), ix.timeOf(c), ix.textOf(c), ix.externalRequestIdOf(c), ix.keyShapeOf(c), ix.extraCountOf(c), ix.lockOptsOf(c), ix.sourceOf(c), Array.from(ix.keysOfCall(c))]);
  const keys = Array.from({ length: ix.keys.size }, (_, k) => ix.keyInfo(k));
  const queries = ['method:reserve_write', 'keys>8', 'ab', '#c2', 'model:llama', 'req:req-1', 'NOT method:finish_write', 'dur>1ms', 'wait>0', 'mode="new"', 'extra_count=0'];
  if (ix.sources.length > 1) queries.push(`server:${ix.sources[1]}`);
  const filters = queries.map((text) => Array.from(a.filter({ methods: null, text })));
  const t = ix.length > 0 ? ix.timeOf(ix.length >> 1) : 0;
  filters.push(Array.from(a.filter({ methods: [0, 2], t0: t / 2, t1: t })));
  const timelines = [0, 1, Math.floor(ix.keys.size / 2), ix.keys.size - 1].filter((k) => k >= 0 && k < ix.keys.size).map((k) => a.keyTimeline(k));
  for (const k of [0, ix.keys.size - 1]) if (k >= 0) filters.push(Array.from(a.filter({ methods: null, keyId: k })));
  const spans = a.spans();
  return {
    sources: ix.sources,
    methods: ix.methods.qualnames(),
    calls,
    keys,
    filters,
    spans: Object.fromEntries(Object.entries(spans).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v])),
    spanTimes: Array.from({ length: spans.length }, (_, s) => [spanT0(spans, s), spanTEnter(spans, s), spanTExit(spans, s), spanT1(spans, s)]),
    summary: a.summary(),
    flags: [a.flagGroups(), ...FLAG_KINDS.map((k) => a.flagGroups(k, 5))],
    histograms: PHASES.map((p) => a.phaseHistogram(p, 16)),
    stats: a.stats({ bins: 20 }),
    timelines,
    undecoded: a.undecodedArgs,
    spanOfCall: Array.from({ length: ix.length }, (_, c) => a.requests.spanOfCall(c)),
  };
}

/** A record frame whose envelope reads but whose arguments do not decode (0xc1 is never valid msgpack). */
function undecodableArgsFrame(bytes: Uint8Array): Uint8Array {
  const frame = splitFrames(bytes)[5]!;
  const body = frame.body.slice();
  const args = [0xa4, 0x61, 0x72, 0x67, 0x73]; // "args"
  for (let i = body.length - args.length; i >= 0; i--) {
    if (args.every((b, j) => body[i + j] === b)) {
      body[i + args.length + 1] = 0xc1;
      return body;
    }
  }
  throw new Error('no args field');
}

/** A trace with damage: a frame that is not a record and a record whose args do not decode, somewhere in the middle. */
function damagedTrace(seed: number, records: number, opts: { keys: [number, number]; docs: number; shift?: number }): Uint8Array {
  let { bytes } = trafficTrace({ seed, records, concurrency: 6, keysPerCall: opts.keys, documents: opts.docs }, opts.shift ? { tWallStart: DEFAULT_T_WALL_START + opts.shift } : {});
  const frames = splitFrames(bytes);
  const at = (i: number) => frames[Math.min(frames.length - 1, Math.max(1, i))]!.offset;
  const bad = undecodableArgsFrame(bytes);
  bytes = insertFrame(bytes, at(Math.floor(frames.length * 0.6)), bad);
  bytes = insertFrame(bytes, at(Math.floor(frames.length * 0.3)), malformedRecordBody('not-a-map'));
  return bytes;
}

/** What the reading pass learns of each record: where its frame is. */
function firstPass(bytes: Uint8Array): TraceRecord[] {
  const p = new TraceParser();
  const recs = p.push(bytes);
  p.finish();
  return recs;
}

function randomChunks(rand: Rand): number[] {
  return Array.from({ length: 8 }, () => (rand() < 0.3 ? 1 + Math.floor(rand() * 7) : 1 + Math.floor(rand() * 9000)));
}

/** Indexes records [from, to) of a file's first-pass records as one shard, its bytes pushed in random chunks. */
function shardOf(bytes: Uint8Array, recs: readonly TraceRecord[], from: number, to: number, rand: Rand) {
  const start = recs[from]!.offset;
  const end = recs[to - 1]!.offset + recs[to - 1]!.frameBytes;
  const s = new IndexShard(start);
  const sizes = randomChunks(rand);
  for (let o = start, i = 0; o < end; i++) {
    const n = Math.min(end - o, sizes[i % sizes.length]!);
    s.push(bytes.slice(o, o + n));
    o += n;
  }
  const r = s.finish();
  expect(r.trailingBytes).toBe(0);
  return r.part;
}

/** Random cut points: 1..6 runs, some of them tiny. */
function cuts(n: number, rand: Rand): number[] {
  const k = 1 + Math.floor(rand() * 6);
  const at = new Set<number>([0, n]);
  for (let i = 1; i < k; i++) at.add(rand() < 0.2 ? Math.min(n, 1 + Math.floor(rand() * 3)) : Math.floor(rand() * n));
  return [...at].sort((a, b) => a - b);
}

describe('sharded index build', () => {
  it('one trace: the parts merged in order are the one-worker analysis, whatever the cuts and chunkings', () => {
    const seed = testSeed('sharded index, one trace');
    const rand = seededRandom(seed);
    const bytes = damagedTrace(seed, 2500, { keys: [2, 14], docs: 12 });
    const recs = firstPass(bytes);
    const one = new TraceAnalyzer();
    for (const r of recs) one.addTraceRecord(r);
    expect(one.undecodedArgs).toBe(1);
    expect(one.spans().length).toBeGreaterThan(200);
    expect(one.summary().lifecycles.reads_paired).toBeGreaterThan(0);
    const want = fingerprint(one);
    for (let round = 0; round < 3; round++) {
      const bounds = cuts(recs.length, rand);
      const sharded = new TraceAnalyzer();
      // As the inspector merges: sized once for the calls the reading pass counted (but round 0 grows by steps).
      if (round > 0) sharded.reserve(recs.length);
      const m = new ShardMerger(sharded);
      const ids = bounds.slice(1).map((end, i) => m.plan(0, bounds[i]!, end - bounds[i]!));
      // Parts arrive in any order; the merge adds what it can each time.
      const order = ids.map((_, i) => i).sort(() => rand() - 0.5);
      for (const i of order) {
        if (bounds[i + 1]! > bounds[i]!) m.deliver(ids[i]!, shardOf(bytes, recs, bounds[i]!, bounds[i + 1]!, rand));
        else m.deliver(ids[i]!, new IndexShard(0).finish().part);
        m.advance(recs.length);
      }
      expect(m.calls).toBe(recs.length);
      sharded.trim();
      expect(fingerprint(sharded), `cuts ${bounds.join(',')}`).toEqual(want);
    }
  });

  it('several traces merged on the wall clock (one of them rotated): per-server sources, shifted times, the same analysis', async () => {
    const seed = testSeed('sharded index, several traces');
    const rand = seededRandom(seed);
    // Two servers running the same traffic (identical keys, kept apart by source) and a third, later one.
    const a = damagedTrace(seed, 1500, { keys: [2, 10], docs: 8 });
    const b = damagedTrace(seed, 1500, { keys: [2, 10], docs: 8, shift: 0.0004 });
    const c = damagedTrace(seed + 1, 1200, { keys: [4, 12], docs: 6, shift: 0.25 });
    // Trace b as two segments: the second file is the header plus the rest of the records.
    const bFrames = splitFrames(b);
    const cut = bFrames[700]!.offset;
    const b0 = b.slice(0, cut);
    const b1 = new Uint8Array(bFrames[1]!.offset + b.length - cut);
    b1.set(b.subarray(0, bFrames[1]!.offset));
    b1.set(b.subarray(cut), bFrames[1]!.offset);
    const traces = [
      { server: 'node-a', files: [a] },
      { server: 'node-b', files: [b0, b1] },
      { server: 'node-c', files: [c] },
    ];
    const servers = traces.map((t) => t.server);
    const inputs = () =>
      traces.map((t) => ({
        server: t.server,
        reader: new SegmentedTraceReader(
          t.files.map((f, i) => ({ name: `${t.server}.${i}.lct`, open: () => chunkedStream(f, [4096, 77]) })),
          { decodeArgs: false },
        ),
      }));
    const merged: AlignedRecord[] = [];
    for await (const batch of mergeTraces(inputs())) merged.push(...batch);

    const one = new TraceAnalyzer();
    for (const r of merged) one.addTraceRecord(r);
    expect([...one.index.sources].sort()).toEqual(servers);
    // node-a and node-b ran the same keys: each server's are its own.
    expect(new Set(Array.from({ length: one.index.keys.size }, (_, k) => one.index.keyInfo(k).source)).size).toBe(3);
    const want = fingerprint(one);

    // What the reading pass keeps: the trace of each call, and per file its records in order.
    const traceOfCall = Uint8Array.from(merged, (r) => r.trace);
    const fileRecs = traces.map((t) => t.files.map(() => [] as AlignedRecord[]));
    for (const r of merged) fileRecs[r.trace]![r.segment]!.push(r);
    const wallStarts = await Promise.all(inputs().map(async (i) => (await i.reader.header()).t_wall_start));
    const origin = Math.min(...wallStarts);
    const sharded = new TraceAnalyzer();
    const m = new ShardMerger(sharded, servers, wallStarts.map((w) => w - origin));
    const pending: { id: number; make: () => ReturnType<typeof shardOf> }[] = [];
    traces.forEach((t, trace) =>
      t.files.forEach((bytes, seg) => {
        const recs = fileRecs[trace]![seg]!;
        const bounds = cuts(recs.length, rand);
        for (let i = 0; i + 1 < bounds.length; i++) {
          const [from, to] = [bounds[i]!, bounds[i + 1]!];
          if (to === from) continue;
          const id = m.plan(trace, recs[from]!.index, to - from);
          pending.push({ id, make: () => shardOf(bytes, recs, from, to, rand) });
        }
      }),
    );
    pending.sort(() => rand() - 0.5);
    for (const p of pending) {
      m.deliver(p.id, p.make());
      m.advance(merged.length, traceOfCall);
    }
    expect(m.calls).toBe(merged.length);
    expect(fingerprint(sharded)).toEqual(want);
  });

  it('a merge of known size allocates its per-call and per-span columns once, exactly: trim copies none of them; the answers are the same', () => {
    const seed = testSeed('sharded index, sized merge');
    const rand = seededRandom(seed);
    const { bytes } = trafficTrace({ seed, records: 20_000, concurrency: 6, keysPerCall: [4, 12], documents: 40 });
    const recs = firstPass(bytes);
    const one = new TraceAnalyzer();
    for (const r of recs) one.addTraceRecord(r);
    one.trim();
    const sized = new TraceAnalyzer();
    // The reading pass counts the calls that may open a span (load-run.ts), and the merge reserves them.
    const methods = sized.index.methods;
    const spanCalls = recs.filter((r) => opensSpan(methods.role(methods.intern(r.qualname)))).length;
    sized.reserve(recs.length, spanCalls);
    const spansAtFirst = sized.requests.spanColumns();
    expect(spansAtFirst.kind.buffer.byteLength).toBe(spanCalls);
    const m = new ShardMerger(sized);
    const bounds = [0, 5000, 12_000, recs.length];
    const ids = bounds.slice(1).map((end, i) => m.plan(0, bounds[i]!, end - bounds[i]!));
    ids.forEach((id, i) => m.deliver(id, shardOf(bytes, recs, bounds[i]!, bounds[i + 1]!, rand)));
    m.advance(recs.length);
    // Every such call opened its span here (keys in each), in the columns reserved at first.
    const spansMerged = sized.requests.spanColumns();
    expect(spansMerged.length).toBe(spanCalls);
    expect(spansMerged.start.buffer).toBe(spansAtFirst.start.buffer);
    expect(spansMerged.found.buffer).toBe(spansAtFirst.found.buffer);
    // (Grown by steps instead, they would hold 32,768 entries for 20,000 calls.)
    const before = sized.index.columns();
    expect(before.method.buffer.byteLength, '1 B a method id: a trace of few methods').toBe(recs.length);
    expect(before.time.buffer.byteLength).toBe(recs.length * 8);
    expect(before.keyList.buffer.byteLength).toBe(recs.length * 4);
    sized.trim();
    const after = sized.index.columns();
    expect(after.time.buffer).toBe(before.time.buffer);
    expect(after.keyList.buffer).toBe(before.keyList.buffer);
    expect(sized.requests.spanColumns().start.buffer).toBe(spansAtFirst.start.buffer);
    expect(fingerprint(sized)).toEqual(fingerprint(one));
    // The Requests tab's report (each phase sorted once for its percentiles and its histogram) is
    // the summary and the one-phase histograms computed apart.
    const fresh = new TraceAnalyzer();
    for (const r of recs) fresh.addTraceRecord(r);
    expect(fresh.phaseReport(16)).toEqual({ summary: one.summary(), histograms: Object.fromEntries(PHASES.map((p) => [p, one.phaseHistogram(p, 16)])) });
  });

  it('a call list repeated by later calls is kept once, and each call still lists its own keys', () => {
    const seed = testSeed('sharded index, shared key lists');
    const { bytes } = trafficTrace({ seed, records: 3000, concurrency: 4, keysPerCall: [3, 9], documents: 10 });
    const recs = firstPass(bytes);
    const a = new TraceAnalyzer();
    for (const r of recs) a.addTraceRecord(r);
    const { keyList, listOff, keyRefs } = a.index.columns();
    let listed = 0;
    for (let c = 0; c < a.length; c++) listed += a.index.keyCountOf(c);
    // Each distinct list once: fewer key ids kept than the calls list, and no list twice.
    expect(keyRefs.length).toBeLessThan(listed / 2);
    const lists = new Set<string>();
    for (let l = 0; l + 1 < listOff.length; l++) lists.add(Array.from(keyRefs.subarray(listOff[l]!, listOff[l + 1]!)).join(','));
    expect(lists.size).toBe(listOff.length - 1);
    // A call's list is the keys of its record, in argument order, each once.
    for (let c = 0; c < a.length; c += 97) {
      const keys = (recs[c]!.args().keys as ObjectKey[] | undefined) ?? [];
      const want = [...new Set(keys.map((k) => a.index.keyIdOf(k)))];
      expect(Array.from(a.index.keysOfCall(c)), `call ${c}`).toEqual(want);
      expect(keyList[c]! === 0).toBe(want.length === 0);
    }
  });

  it('a part that does not hold the planned records is refused', () => {
    const { bytes } = trafficTrace({ seed: 3, records: 50 });
    const recs = firstPass(bytes);
    const m = new ShardMerger(new TraceAnalyzer());
    const id = m.plan(0, 0, 50);
    const s = new IndexShard(recs[0]!.offset);
    s.push(bytes.subarray(recs[0]!.offset, recs[40]!.offset));
    expect(() => m.deliver(id, s.finish().part)).toThrow(/indexed 40 records where the reading pass saw 50/);
  });

  it('reports bytes left after the last whole frame', () => {
    const { bytes } = trafficTrace({ seed: 4, records: 10 });
    const recs = firstPass(bytes);
    const s = new IndexShard(recs[0]!.offset);
    s.push(bytes.subarray(recs[0]!.offset, recs[3]!.offset + FRAME_PREFIX_BYTES + 2));
    const r = s.finish();
    expect(r.part.count).toBe(3);
    expect(r.trailingBytes).toBe(FRAME_PREFIX_BYTES + 2);
  });
});
