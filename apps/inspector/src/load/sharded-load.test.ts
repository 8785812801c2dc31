import { SpanKind, SpanStatus, spanDuration, spanT0, spanT1, spanTEnter, spanTExit } from '@kvtrace/trace';
import { DEFAULT_T_WALL_START, insertFrame, malformedRecordBody, splitFrames, testSeed, trafficTrace } from '@kvtrace/trace/test-support';
import { describe, expect, it } from 'vitest';
import type { AnalysisRequest, RequestReport, SliceReport } from '../model/queries.ts';
import { sliceCoverage } from '../views/timeline/slices.ts';
import { TraceSession } from '../model/session.ts';
import { trafficSegments } from '../test-support/test-trace.ts';
import type { AnalysisHost, Frames } from './analysis-host.ts';
import { runLoad, type LoadEnv } from './load-run.ts';
import type { OpenRequest, TraceSpec, WorkerMessage } from './protocol.ts';
import { inProcessPort, type ShardPort } from './shards.ts';
import { fileRangeSource } from './sources.ts';

/**
 * The worker's load (load-run.ts) in-process, a trace indexed two ways: while it is read (one
 * worker, as small traces are) and by shard workers from the reading pass's units, merged in trace
 * order (as big files are; the shard "workers" here are in-process ports running the same code).
 * Every answer the page can ask for must be the same: filters, lifecycles, statistics, timeline
 * slices, key timelines, each row's request span, exports (whose frames the sharded load looks up
 * in the page's store).
 */

interface Loaded {
  host: AnalysisHost;
  session: TraceSession;
  messages: WorkerMessage[];
}

async function load(traces: TraceSpec[], how: { sharded: boolean; unitRecords?: number; ports?: () => ShardPort; duringRead?: number }): Promise<Loaded> {
  const session = new TraceSession();
  session.begin('t', null);
  const messages: WorkerMessage[] = [];
  let host: AnalysisHost | null = null;
  const lookUpFrames = async (calls: Uint32Array): Promise<Frames> => {
    const s = session.store;
    return {
      offset: Float64Array.from(calls, (c) => s.offsetOf(c)),
      frameBytes: Uint32Array.from(calls, (c) => s.frameBytes[c]!),
      file: s.file.length > 0 ? Uint16Array.from(calls, (c) => s.fileOf(c)) : null,
    };
  };
  const env: LoadEnv = {
    post: (m) => {
      messages.push(m);
      if (m.type === 'header') session.onHeader(m.header, m.totalBytes, m.traces);
      else if (m.type === 'batch') session.onBatch(m.batch, m.progress);
      else if (m.type === 'done') session.finish(m.report);
    },
    unreachable: (url) => `unreachable ${url}`,
    rangeSource: (s) => (s.kind === 'file' ? fileRangeSource(s.file) : { read: () => Promise.reject(new Error('no url')) }),
    shards: how.sharded ? { make: how.ports ?? inProcessPort, count: 3, ...(how.duringRead === undefined ? {} : { duringRead: how.duringRead }) } : null,
    lookUpFrames,
    onHost: (h) => (host = h),
    onStop: () => undefined,
    limits: how.sharded ? { inlineIndexMaxBytes: 0, unitRecords: how.unitRecords ?? 97 } : {},
  };
  const req: OpenRequest = { type: 'open', traces, checkArgs: false };
  await runLoad(req, env);
  return { host: host!, session, messages };
}

const ask = async (host: AnalysisHost, req: AnalysisRequest): Promise<unknown> => {
  const a = (await host.handle(req)).answer;
  if (a instanceof Blob) return a.text();
  return ArrayBuffer.isView(a) ? Array.from(a as Uint32Array) : JSON.parse(JSON.stringify(a, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v)));
};

/** Every question the page asks, answered. */
async function answers(l: Loaded): Promise<unknown[]> {
  const h = l.host;
  const n = h.length;
  const out: unknown[] = [n, h.analyzer.index.sources];
  // The timeline draws request spans at the page's t_mono of their calls (SliceColumns): it must be
  // the analysis's, merged traces' shifts included.
  expect(Array.from(l.session.store.tMono.subarray(0, n))).toEqual(Array.from(h.analyzer.index.times()));
  const queries = ['method:reserve_write', 'keys>4', 'ab', 'req:req-1', 'dur>1ms', 'NOT method:finish_write', 'mode="new"'];
  if (h.servers.length > 1) queries.push(`server:${h.servers[1]}`);
  for (const text of queries) out.push(await ask(h, { kind: 'filter', query: { methods: null, text } }));
  out.push(await ask(h, { kind: 'filter', query: { methods: [1, 2], t0: 0.001, t1: 0.05 } }));
  out.push(await ask(h, { kind: 'stats', bins: 30, query: null }));
  out.push(await ask(h, { kind: 'stats', bins: 10, query: { methods: [0] } }));
  out.push(await ask(h, { kind: 'requests', flagLimit: 50, requestLimit: 20, bins: 12 }));
  out.push(await ask(h, { kind: 'slices' }));
  out.push(await ask(h, { kind: 'callSpans', calls: Array.from({ length: Math.min(n, 400) }, (_, i) => Math.floor((i * n) / 400)) }));
  const keys = h.analyzer.index.keys.size;
  for (const k of [0, 1, Math.floor(keys / 3), keys - 1]) out.push(await ask(h, { kind: 'keyTimeline', keyId: k }));
  out.push(await ask(h, { kind: 'export', format: 'csv', query: { methods: null, text: 'keys>2' }, name: 't' }));
  out.push(await ask(h, { kind: 'export', format: 'jsonl', query: null, name: 't' }));
  out.push(await ask(h, { kind: 'export', format: 'chrome', query: null, name: 't' }));
  return out;
}

const fileTrace = (name: string, bytes: Uint8Array): TraceSpec => ({ server: name, files: [{ name, source: { kind: 'file', file: new File([bytes.slice()], name) } }], missing: [] });

/** One server's trace with damage in the middle: a frame that is not a record. */
function oneTrace(seed: number): Uint8Array {
  const { bytes } = trafficTrace({ seed, records: 1800, concurrency: 5, keysPerCall: [2, 9], documents: 10 }, { tWallStart: DEFAULT_T_WALL_START });
  const frames = splitFrames(bytes);
  return insertFrame(bytes, frames[900]!.offset, malformedRecordBody('wrong-types'));
}

/**
 * The timeline's request tracks as the page draws them (spans' calls at its store's t_mono, cut
 * into phases by views/timeline/slices.ts) against each span's phases as the analysis times them
 * (spanT0..spanT1 over the index's time column), binned apart, column by column.
 */
async function expectTracksAsAnalysed(l: Loaded): Promise<void> {
  const n = l.host.length;
  const time = l.session.store.tMono.subarray(0, n);
  const slices = (await l.host.handle({ kind: 'slices' })).answer as SliceReport;
  let t0 = Infinity, t1 = -Infinity;
  for (const t of time) [t0, t1] = [Math.min(t0, t), Math.max(t1, t)];
  const cols = 97;
  const cov = sliceCoverage(slices, time, { t0, t1 }, cols);
  const scale = cols / (t1 - t0);
  const col = (t: number) => Math.min(cols - 1, Math.max(0, Math.floor((t - t0) * scale)));
  const want = [new Array<number>(4 * cols).fill(0), new Array<number>(4 * cols).fill(0), new Array<number>(4 * cols).fill(0)];
  const sp = l.host.analyzer.spans();
  let drawn = 0;
  for (let s = 0; s < sp.length; s++) {
    const st = sp.status[s] === SpanStatus.leaked ? 1 : sp.status[s] === SpanStatus.undecided ? 2 : 0;
    const [a, e, x, b] = [spanT0(sp, s), spanTEnter(sp, s), spanTExit(sp, s), spanT1(sp, s)];
    const phases = sp.kind[s] === SpanKind.write ? [[3, a, b]] : [[0, a, Number.isNaN(e) ? b : e], [1, e, Number.isNaN(x) ? b : x], [2, x, b]];
    for (const [track, from, to] of phases as [number, number, number][]) {
      if (Number.isNaN(from)) continue;
      drawn++;
      for (let c = col(from); c <= Math.max(col(from), Number.isNaN(to) ? cols - 1 : col(to)); c++) want[st]![track * cols + c]!++;
    }
  }
  expect(drawn).toBeGreaterThan(sp.length);
  expect([cov.ok, cov.leaked, cov.undecided].map((c) => Array.from(c))).toEqual(want);
}

const indexDone = (l: Loaded) => l.messages.filter((m) => m.type === 'index' && m.progress.done).map((m) => (m.type === 'index' ? m.progress : null));

describe('a big file indexed by shard workers (the worker, in-process)', () => {
  it('one trace: the same answers as the one-worker index, in any unit size', async () => {
    const seed = testSeed('sharded load, one trace');
    const bytes = oneTrace(seed);
    const traces = [fileTrace('one.lct', bytes)];
    const one = await load(traces, { sharded: false });
    const want = await answers(one);
    expect(one.host.length).toBe(1800);
    await expectTracksAsAnalysed(one);
    expect(one.host.analyzer.summary().requests.total).toBeGreaterThan(100);
    // The request view's slowest: the head of every span sorted (open ones first, then the longest, then in trace order).
    const sp = one.host.analyzer.spans();
    const dur = (s: number) => spanDuration(sp, s);
    const open = (s: number) => Number.isNaN(dur(s));
    const all = Array.from({ length: sp.length }, (_, s) => s).sort((x, y) => (open(x) !== open(y) ? (open(x) ? -1 : 1) : (open(x) ? 0 : dur(y) - dur(x)) || x - y));
    const report = (await one.host.handle({ kind: 'requests', flagLimit: 50, requestLimit: 20, bins: 12 })).answer as RequestReport;
    expect(report.slowest.map((r) => r.span)).toEqual(all.slice(0, 20));
    // duringRead 0 (a 2-core machine): no shard runs beside the reading pass, each reads its unit from the file after it.
    for (const [unitRecords, duringRead] of [[1, undefined], [97, undefined], [100_000, undefined], [97, 0], [100_000, 0]] as const) {
      const sharded = await load(traces, { sharded: true, unitRecords, duringRead });
      expect(indexDone(sharded)).toEqual([{ calls: one.host.length, total: one.host.length, done: true, secondPass: true, error: undefined }]);
      expect(await answers(sharded), `units of ${unitRecords} records, ${duringRead ?? 'all'} shards during the read`).toEqual(want);
    }
  });

  it('several traces (one of them rotated) merged on the wall clock: the same answers, each server its own keys', async () => {
    const seed = testSeed('sharded load, several traces');
    const a = trafficSegments({ seed, requests: 60, tWallStart: DEFAULT_T_WALL_START })[0]!;
    const [b0, b1] = trafficSegments({ seed, requests: 60, tWallStart: DEFAULT_T_WALL_START + 0.0004, cuts: [110] });
    const c = trafficSegments({ seed: seed + 1, requests: 40, tWallStart: DEFAULT_T_WALL_START + 0.02 })[0]!;
    const traces: TraceSpec[] = [
      fileTrace('node-a', a),
      { server: 'node-b', files: [b0!, b1!].map((f, i) => ({ name: i === 0 ? 'node-b.lct' : 'node-b.000001.lct', source: { kind: 'file' as const, file: new File([f.slice()], 'x') } })), missing: [] },
      fileTrace('node-c', c),
    ];
    const one = await load(traces, { sharded: false });
    expect(one.host.analyzer.index.sources).toEqual(['node-a', 'node-b', 'node-c']);
    const want = await answers(one);
    for (const duringRead of [undefined, 0]) {
      const sharded = await load(traces, { sharded: true, unitRecords: 41, duringRead });
      expect(await answers(sharded), `${duringRead ?? 'all'} shards during the read`).toEqual(want);
      await expectTracksAsAnalysed(sharded);
    }
  });

  it('a shard that fails: the rest is indexed by a second read, with the same answers', async () => {
    const seed = testSeed('sharded load, a shard fails');
    const traces = [fileTrace('one.lct', oneTrace(seed))];
    const want = await answers(await load(traces, { sharded: false }));
    let units = 0;
    // The third unit any worker is handed fails.
    const failing = (): ShardPort => {
      const p = inProcessPort();
      const post = p.post.bind(p);
      p.post = (req) => {
        if (++units === 3) setTimeout(() => p.onmessage?.({ type: 'error', id: req.id, message: 'disk gone' }), 0);
        else post(req);
      };
      return p;
    };
    const sharded = await load(traces, { sharded: true, unitRecords: 200, ports: failing });
    expect(units).toBeGreaterThan(3);
    expect(indexDone(sharded)[0]?.error).toBeUndefined();
    expect(await answers(sharded)).toEqual(want);
  });
});
