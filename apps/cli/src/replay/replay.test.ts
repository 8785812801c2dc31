import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, MemorySink, ObjectKey, RawTagged, Recorder, TraceGate, encodeConfig, smQualname, useScope, type CallEvent, type TraceRecord } from '@kvtrace/trace';
import { createStorageManager, storageConfigFromFlags, storageConfigJson, traceStorageManager } from '@kvtrace/server/storage';
import { TraceBuilder, chunkedStream, fixtureBytes, manifest, testKey as key, trafficTrace } from '@kvtrace/trace/test-support';
import { Dispatcher } from './dispatch.ts';
import { MAX_TIMER_MS, Pacer } from './pacer.ts';
import { ScopePairer, keyListId } from './pairing.ts';
import { renderComparison, renderReport, reportCsv, reportJson } from './report.ts';
import { ReplayRefused, replayTrace } from './run-replay.ts';
import { nearestRank, LatencySamples } from './stats.ts';
import { LocalTarget } from './target-local.ts';
import type { PrefetchCall, ReadToken, ReplayTarget, TargetStats } from './target.ts';

const LAYOUT = new MemoryLayoutDesc([[4, 256]], ['torch.bfloat16']);
const stream = (bytes: Uint8Array) => chunkedStream(bytes, [4096]);
const local = (l1 = '0.001', extra: Record<string, string> = {}) => new LocalTarget(storageConfigFromFlags({ 'l1-size-gb': l1, 'l2-dir': 'none', ...extra }));

/** A target that logs calls (with the time they were issued) and can be told to throw. */
class FakeTarget implements ReplayTarget {
  readonly description = 'fake';
  readonly configJson = null;
  log: { op: string; at: number; keys: number }[] = [];
  throwOn = new Set<string>();
  private note(op: string, keys: readonly ObjectKey[]): void {
    this.log.push({ op, at: performance.now(), keys: keys.length });
    if (this.throwOn.has(op)) throw new Error(`${op} refused`);
  }
  reserveWrite(keys: readonly ObjectKey[]) {
    this.note('reserve_write', keys);
    return keys.map(() => 'reserved');
  }
  writeData(keys: readonly ObjectKey[], _o: readonly string[], layout: MemoryLayoutDesc) {
    return keys.length * layout.byteSize;
  }
  finishWrite(keys: readonly ObjectKey[]) {
    this.note('finish_write', keys);
  }
  submitPrefetchTask(c: PrefetchCall) {
    this.note('submit_prefetch_task', c.keys);
  }
  prepareRead() {}
  readEnter(keys: readonly ObjectKey[]): ReadToken {
    this.note('enter', keys);
    return { found: keys.length, requested: keys.length };
  }
  readExit(t: ReadToken) {
    this.log.push({ op: 'exit', at: performance.now(), keys: t.requested });
  }
  finishReadPrefetched(keys: readonly ObjectKey[]) {
    this.note('finish_read_prefetched', keys);
  }
  async finish(): Promise<TargetStats> {
    return { l1_hits: 0, l1_misses: 0, l2_hits: 0, l2_misses: 0, evictions: 0, bytes_written: 0, bytes_read: 0 };
  }
  async close() {}
}

describe('stats', () => {
  it('nearest-rank percentiles are observed values at rank ceil(p/100 n)', () => {
    const s = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(s, 50)).toBe(5);
    expect(nearestRank(s, 90)).toBe(9);
    expect(nearestRank(s, 99)).toBe(10);
    expect(nearestRank([7], 1)).toBe(7);
    expect(nearestRank([], 50)).toBeNaN();
    const l = new LatencySamples();
    for (let i = 2000; i >= 1; i--) l.add(i);
    expect(l.summary()).toMatchObject({ count: 2000, mean: 1000.5, p50: 1000, p90: 1800, p99: 1980, min: 1, max: 2000 });
  });
});

describe('pairing', () => {
  it('pairs first-in first-out per key list; drain returns what is open, oldest first', () => {
    const p = new ScopePairer<string>();
    const a = keyListId([key(1), key(2)])!;
    const b = keyListId([key(3)])!;
    expect(keyListId([key(1), 'x'])).toBeNull();
    p.enter('s', a, 'a1');
    p.enter('s', b, 'b1');
    p.enter('s', a, 'a2');
    expect(p.exit('s', a)).toBe('a1');
    expect(p.exit('s', keyListId([key(2), key(1)])!)).toBeUndefined();
    p.enter('s', b, 'b2');
    expect(p.openCount).toBe(3);
    expect(p.drain()).toEqual(['b1', 'a2', 'b2']);
    expect(p.openCount).toBe(0);
  });
});

describe('pacing', () => {
  it('a 50 ms recorded gap takes at least 40 ms at speed 1, about half at speed 2, nothing at speed 0', async () => {
    const k = [key(1)];
    const b = TraceBuilder.memory();
    for (const t of [0.01, 0.06, 0.11]) b.call('finish_write', t, { keys: k });
    const bytes = b.bytes();
    const gaps = async (speed: number) => {
      const t = new FakeTarget();
      const r = await replayTrace(stream(bytes), t, { speed });
      expect(r.replayed).toBe(3);
      return [t.log[1]!.at - t.log[0]!.at, t.log[2]!.at - t.log[1]!.at];
    };
    for (const g of await gaps(1)) expect(g).toBeGreaterThanOrEqual(40);
    for (const g of await gaps(2)) {
      expect(g).toBeGreaterThanOrEqual(20);
      expect(g).toBeLessThan(45);
    }
    for (const g of await gaps(0)) expect(g).toBeLessThan(20);
  });

  it('never runs ahead: a late record is issued at once and its lag reported, later ones keep the schedule', async () => {
    let now = 0;
    const p = new Pacer(1, () => now);
    expect(await p.wait(5)).toBe(0);
    now = 30; // the host was slow: the record due at 10 ms is 20 ms late
    expect(await p.wait(5.01)).toBeCloseTo(20);
    expect(p.maxLagMs).toBeCloseTo(20);
    expect(() => new Pacer(-1)).toThrow(/speed/);
  });

  it('a gap longer than a Node timer can take sleeps in chunks of at most 2^31-1 ms, not a 1 ms spin', async () => {
    let now = 0;
    const sleeps: number[] = [];
    const p = new Pacer(1, () => now, async (ms) => {
      sleeps.push(ms);
      now += ms + 2; // the pacer sleeps to 2 ms short of due, then yield-spins
    });
    await p.wait(0);
    // 60 days later: 5.184e9 ms, three timer-sized chunks.
    expect(await p.wait(60 * 86_400)).toBe(0);
    expect(sleeps.length).toBe(3);
    for (const ms of sleeps) expect(ms).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(now).toBeGreaterThanOrEqual(60 * 86_400_000 - 2);
  });

  it('non-finite or unrepresentable times are not waited for, and the lag stats stay finite', async () => {
    let now = 0;
    const p = new Pacer(1, () => now, async () => {
      throw new Error('must not sleep');
    });
    expect(await p.wait(Number.NaN)).toBe(0);
    expect(await p.wait(Number.POSITIVE_INFINITY)).toBe(0);
    expect(await p.wait(0)).toBe(0); // the origin
    expect(await p.wait(-1e308)).toBe(0); // 1e311 ms early overflows a double: no schedule
    now = 1;
    // 1.7e308 ms late, twice: the total would overflow to Infinity.
    expect(await p.wait(-1.7e305)).toBeGreaterThan(1e308);
    expect(await p.wait(-1.7e305)).toBeGreaterThan(1e308);
    expect(Number.isFinite(p.totalLagMs) && Number.isFinite(p.maxLagMs)).toBe(true);
  });
});

describe('dispatch', () => {
  const rec = (qualname: string, args: Record<string, unknown> | (() => never), index = 0): TraceRecord => ({
    index,
    offset: 0,
    frameBytes: 0,
    t_mono: 0,
    t_wall: 0,
    qualname,
    args: typeof args === 'function' ? args : () => args,
    decodeArgs: typeof args === 'function' ? args : () => args,
    unknownTags: 0,
  });
  const Q = (m: string) => smQualname(m);

  it('skips unknown methods and undecodable arguments, counts a throwing call as failed', async () => {
    const t = new FakeTarget();
    t.throwOn.add('finish_write');
    const d = new Dispatcher(t);
    expect(await d.handle(rec('some.Other.method', {}))).toMatchObject({ status: 'skipped', reason: 'unknown method' });
    expect(
      await d.handle(
        rec(Q('finish_write'), () => {
          throw new Error('bad msgpack');
        }),
      ),
    ).toMatchObject({ status: 'skipped', reason: 'arguments cannot be decoded' });
    expect(await d.handle(rec(Q('finish_write'), { keys: [new RawTagged('Mystery', 1)] }))).toMatchObject({ status: 'skipped', reason: 'arguments do not fit the method' });
    expect(await d.handle(rec(Q('reserve_write'), { keys: [key(1)], layout_desc: LAYOUT, mode: 'sometimes' }))).toMatchObject({ status: 'skipped' });
    expect(await d.handle(rec(Q('finish_write'), { keys: [key(1)] }))).toMatchObject({ status: 'failed', op: 'finish_write', error: 'finish_write refused' });
    const ok = await d.handle(rec(Q('reserve_write'), { keys: [key(1), key(2)], layout_desc: LAYOUT, mode: 'new' }));
    expect(ok).toMatchObject({ status: 'replayed', op: 'reserve_write' });
    expect(d.dataBytes).toBe(2 * LAYOUT.byteSize);
  });

  it('skips layouts whose size is negative or NaN, and qualnames or enum names of Object.prototype', async () => {
    const t = new FakeTarget();
    const d = new Dispatcher(t);
    const neg = new MemoryLayoutDesc([[-1_000_000_000]], ['torch.float16']);
    const nan = new MemoryLayoutDesc([[Number.NaN]], ['torch.float16']);
    for (const l of [neg, nan]) {
      const r = await d.handle(rec(Q('reserve_write'), { keys: [key(1)], layout_desc: l, mode: 'new' }));
      expect(r).toMatchObject({ status: 'skipped', reason: 'arguments do not fit the method', detail: expect.stringMatching(/layout_desc describes an object of (-2000000000|NaN) bytes/) });
      expect(await d.handle(rec(Q('submit_prefetch_task'), { keys: [key(1)], layout_desc: l }))).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/layout_desc/) });
    }
    expect(await d.handle(rec('constructor', {}))).toMatchObject({ status: 'skipped', reason: 'unknown method' });
    expect(t.log).toEqual([]);
  });

  it('pairs enter/exit FIFO per key list, warns about an exit without an enter, closes what is left open', async () => {
    const t = new FakeTarget();
    const warnings: string[] = [];
    const d = new Dispatcher(t, (m) => warnings.push(m));
    const A = [key(1)];
    const B = [key(2), key(3)];
    await d.handle(rec(Q('read_prefetched_results.__enter__'), { keys: A }));
    await d.handle(rec(Q('read_prefetched_results.__enter__'), { keys: B }));
    await d.handle(rec(Q('read_prefetched_results.__enter__'), { keys: A }));
    expect(await d.handle(rec(Q('read_prefetched_results.__exit__'), { keys: B }))).toMatchObject({ status: 'replayed' });
    expect(await d.handle(rec(Q('read_prefetched_results.__exit__'), { keys: [key(9)] }, 7))).toMatchObject({ status: 'skipped', reason: 'exit without an enter' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/record 7 .*without an enter/);
    const closed = await d.closeOpen();
    expect(closed).toHaveLength(2);
    expect(t.log.filter((l) => l.op === 'exit').map((l) => l.keys)).toEqual([2, 1, 1]);
  });

  it('a failed enter keeps its place: its exit is skipped silently, not paired with a later enter', async () => {
    const t = new FakeTarget();
    t.throwOn.add('enter');
    const warnings: string[] = [];
    const d = new Dispatcher(t, (m) => warnings.push(m));
    expect(await d.handle(rec(Q('read_prefetched_results.__enter__'), { keys: [key(1)] }))).toMatchObject({ status: 'failed' });
    expect(await d.handle(rec(Q('read_prefetched_results.__exit__'), { keys: [key(1)] }))).toMatchObject({ status: 'skipped', reason: 'its enter failed' });
    expect(warnings).toEqual([]);
  });
});

describe('replay of the LMCache fixtures against the in-process storage manager', () => {
  const m = manifest();

  it('refuses schema version 1 with the reason', async () => {
    await expect(replayTrace(stream(fixtureBytes('v1.lct')), local(), { speed: 0 })).rejects.toThrow(ReplayRefused);
    await expect(replayTrace(stream(fixtureBytes('v1.lct')), local(), { speed: 0 })).rejects.toThrow(/cache_salt/);
  });

  it('workload-small: every record replayed, counts per operation as in MANIFEST, hits and digest reported', async () => {
    const r = await replayTrace(stream(fixtureBytes('workload-small.lct')), local('1'), { speed: 0 });
    expect(r).toMatchObject({ records: 300, replayed: 300, skipped: 0, failed: 0, closedAtEnd: 0 });
    const byOp = Object.fromEntries(Object.entries(r.ops).map(([op, s]) => [smQualname(op), s.count]));
    expect(byOp).toEqual(m['workload-small.lct']!.by_qualname);
    expect(r.stats.l1_hits + r.stats.l1_misses).toBeGreaterThan(0);
    expect(r.l1HitRate).toBeGreaterThan(0);
    expect(r.config.match).toBe('mismatch');
    const text = renderReport('workload-small.lct', r);
    expect(text).toMatch(/reserve_write\s+70\s+0/);
    expect(text).toMatch(/L1 hit rate: +\d+\.\d%/);
  });

  for (const file of ['malformed-middle.lct', 'truncated-body.lct', 'truncated-prefix.lct', 'unknown-tag.lct', 'noconfig.lct', 'header-only.lct']) {
    it(`${file}: every readable record is replayed or skipped, none fails`, async () => {
      const r = await replayTrace(stream(fixtureBytes(file)), local('1'), { speed: 0 });
      expect(r.records).toBe(m[file]!.records);
      expect(r.replayed + r.skipped).toBe(r.records);
      expect(r.failed).toBe(0);
      if (file === 'noconfig.lct') expect(r.config.match).toBe('no config in trace');
    });
  }
});

describe('replay of a trace recorded by our storage manager', () => {
  /** Drives a traced manager the way a client does, recording into memory. */
  function record(flags: Record<string, string>): { bytes: Uint8Array; stats: { l1_hits: number; l1_misses: number; evictions: number } } {
    const config = storageConfigFromFlags(flags);
    const sink = new MemorySink();
    const gate = new TraceGate();
    const recorder = new Recorder(sink, { gate });
    recorder.attachConfig(encodeConfig(storageConfigJson(config)));
    const sm = traceStorageManager(createStorageManager(config), { gate, publish: (e: CallEvent) => recorder.onEvent(e) });
    gate.enabled = true;
    const layout = new MemoryLayoutDesc([[4, 1024]], ['torch.float32']); // 16 KiB
    for (let r = 0; r < 60; r++) {
      const keys = Array.from({ length: 6 }, (_, i) => key(((r * 7) % 40) + i));
      const handle = sm.submitPrefetchTask(keys, layout);
      const found = handle.l1PrefixHitCount;
      if (found > 0) {
        const hit = keys.slice(0, found);
        useScope(sm.readPrefetchedResults(hit), () => undefined);
        sm.finishReadPrefetched(hit);
      }
      const outcomes = sm.reserveWrite(keys, layout, 'new');
      keys.forEach((k, i) => outcomes[i] === 'reserved' && sm.writeData(k, new Uint8Array(layout.byteSize)));
      sm.finishWrite(keys);
    }
    gate.enabled = false;
    recorder.close();
    return { bytes: sink.bytes(), stats: sm.stats() };
  }

  it('replays to the same L1 decisions and a matching config digest', async () => {
    const flags = { 'l1-size-gb': String((24 * 16 * 1024) / 2 ** 30), 'l2-dir': 'none' };
    const rec = record(flags);
    const r = await replayTrace(stream(rec.bytes), new LocalTarget(storageConfigFromFlags(flags)), { speed: 0 });
    expect(r.failed).toBe(0);
    expect(r.skipped).toBe(0);
    expect(r.config.match).toBe('match');
    expect({ l1_hits: r.stats.l1_hits, l1_misses: r.stats.l1_misses, evictions: r.stats.evictions }).toEqual({
      l1_hits: rec.stats.l1_hits,
      l1_misses: rec.stats.l1_misses,
      evictions: rec.stats.evictions,
    });
    expect(rec.stats.evictions).toBeGreaterThan(0);
  });

  it('compare: a bigger L1 on the same trace hits at least as often; side-by-side report and CSV/JSON name both', async () => {
    const { bytes } = trafficTrace({ requests: 150, keysPerCall: 8, layout: new MemoryLayoutDesc([[2, 4, 16, 8, 128]], ['torch.bfloat16']) });
    const small = await replayTrace(stream(bytes), local(String(16 * 4 * 16 * 8 * 128 * 2 / 2 ** 30)), { speed: 0 });
    const big = await replayTrace(stream(bytes), local(String(128 * 4 * 16 * 8 * 128 * 2 / 2 ** 30)), { speed: 0 });
    expect(big.l1HitRate).toBeGreaterThan(small.l1HitRate);
    expect(big.stats.evictions).toBeLessThan(small.stats.evictions);
    const text = renderComparison('w.lct', ['as given', 'l1-size-gb=2'], small, big);
    expect(text).toMatch(/L1 hit rate\s+\d+\.\d%\s+\d+\.\d%\s+\+\d+\.\d pts/);
    const runs = [
      { label: 'A', result: small },
      { label: 'B', result: big },
    ];
    expect(reportCsv(runs).split('\r\n')[0]).toBe('config,operation,count,errors,mean_ms,p50_ms,p90_ms,p99_ms,min_ms,max_ms');
    const json = JSON.parse(reportJson('w.lct', runs)) as { runs: { label: string; l1HitRate: number }[] };
    expect(json.runs.map((x) => x.label)).toEqual(['A', 'B']);
  });
});
