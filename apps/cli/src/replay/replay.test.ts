import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, MemorySink, ObjectKey, PrefetchRequestSpec, RawTagged, Recorder, TraceGate, TraceParser, encodeConfig, smQualname, useScope, type CallEvent, type TraceRecord } from '@kvtrace/trace';
import { createStorageManager, storageConfigFromFlags, storageConfigJson, traceStorageManager } from '@kvtrace/server/storage';
import { TraceBuilder, chunkedStream, fixtureBytes, manifest, testKey as key, trafficTrace } from '@kvtrace/trace/test-support';
import { Dispatcher } from './dispatch.ts';
import { MAX_TIMER_MS, Pacer, type ReplayClock } from './pacer.ts';
import { renderComparison, renderReport, reportCsv, reportJson } from './report.ts';
import { ReplayRefused, replayTrace } from './run-replay.ts';
import { LatencySamples } from './stats.ts';
import { KeyInterner } from './key-interner.ts';
import { RecordArgs } from './record-args.ts';
import { LocalTarget } from './target-local.ts';
import type { PrefetchCall, ReadToken, ReplayTarget, TargetStats } from './target.ts';

const LAYOUT = new MemoryLayoutDesc([[4, 256]], ['torch.bfloat16']);
const stream = (bytes: Uint8Array) => chunkedStream(bytes, [4096]);
const local = (l1 = '0.001', extra: Record<string, string> = {}) => new LocalTarget(storageConfigFromFlags({ 'l1-size-gb': l1, 'l2-dir': 'none', ...extra }));

/**
 * Time that moves only when the code under test sleeps or yields (or a fake target says so): pacing
 * is checked against the schedule it computes, never against how fast this machine is today.
 */
class FakeClock implements ReplayClock {
  t = 0;
  readonly sleeps: number[] = [];
  turns = 0;
  /** How late every timer fires, in ms (a busy host). */
  constructor(private readonly timerLateMs = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms + this.timerLateMs;
  }
  /** One event-loop turn takes a quarter of a millisecond. */
  async yieldLoop(): Promise<void> {
    this.turns++;
    this.t += 0.25;
  }
}

/** A target that logs calls (with the time they were issued) and can be told to throw or to take time. */
class FakeTarget implements ReplayTarget {
  readonly description = 'fake';
  readonly configJson = null;
  log: { op: string; at: number; keys: number }[] = [];
  throwOn = new Set<string>();
  constructor(
    private readonly clock: { now(): number; t?: number } = { now: () => performance.now() },
    /** ms each call takes (advances a FakeClock). */
    private readonly callMs = 0,
  ) {}
  private note(op: string, keys: readonly ObjectKey[]): void {
    this.log.push({ op, at: this.clock.now(), keys: keys.length });
    if (this.clock.t !== undefined) this.clock.t += this.callMs;
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
  prepareRead(_keys: readonly ObjectKey[]): void | Promise<void> {}
  readEnter(keys: readonly ObjectKey[]): ReadToken {
    this.note('enter', keys);
    return { found: keys.length, requested: keys.length };
  }
  readExit(t: ReadToken) {
    this.log.push({ op: 'exit', at: this.clock.now(), keys: t.requested });
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
  it('latencies use libs/trace nearest-rank percentiles; untimed calls count but have no latency', () => {
    const l = new LatencySamples();
    for (let i = 2000; i >= 1; i--) l.add(i);
    l.add(Number.NaN);
    expect(l.summary()).toMatchObject({ count: 2001, mean: 1000.5, p50: 1000, p90: 1800, p99: 1980, min: 1, max: 2000 });
    expect(new LatencySamples().summary()).toMatchObject({ count: 0, p50: Number.NaN });
  });
});

describe('pacing (fake clock: no dependence on the speed of this machine)', () => {
  const k = [key(1)];
  const trace = (times: number[]) => {
    const b = TraceBuilder.memory();
    for (const t of times) b.call('finish_write', t, { keys: k });
    return b.bytes();
  };
  const issued = async (speed: number, times: number[], clock = new FakeClock(), callMs = 0) => {
    const t = new FakeTarget(clock, callMs);
    const r = await replayTrace(stream(trace(times)), t, { speed, clock });
    expect(r.replayed).toBe(times.length);
    return { at: t.log.map((l) => l.at), r, clock };
  };

  it('issues each record at its recorded offset scaled by the speed, never early, within one event-loop turn', async () => {
    const times = [0.01, 0.06, 0.11, 0.1101, 3.5];
    for (const speed of [1, 2, 0.5]) {
      const { at, r } = await issued(speed, times);
      times.forEach((t, i) => {
        const due = ((t - times[0]!) * 1000) / speed;
        expect(at[i]! - at[0]!, `speed ${speed}, record ${i}`).toBeGreaterThanOrEqual(due);
        expect(at[i]! - at[0]!, `speed ${speed}, record ${i}`).toBeLessThanOrEqual(due + 0.25);
      });
      expect(r.lag.maxMs).toBeLessThanOrEqual(0.25);
    }
  });

  it('speed 0 never sleeps and yields one event-loop turn per 256 records', async () => {
    const times = Array.from({ length: 600 }, (_, i) => i * 10);
    const { at, clock } = await issued(0, times);
    expect(clock.sleeps).toEqual([]);
    expect(clock.turns).toBe(2);
    expect(at[599]).toBe(0.5);
  });

  it('late timers: sleeps end short of due and the rest is spun, so the schedule holds', async () => {
    const { at, r, clock } = await issued(1, [0, 0.05, 0.1], new FakeClock(1.5));
    expect(clock.sleeps.length).toBeGreaterThan(0);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(50);
    expect(at[2]! - at[0]!).toBeGreaterThanOrEqual(100);
    expect(r.lag.maxMs).toBeLessThanOrEqual(0.25);
  });

  it('a target slower than the recording: lag is measured against absolute due times and reported, not hidden', async () => {
    // Each call takes 80 ms; records are due every 50 ms: 0, 30, 60 ms late.
    const { at, r } = await issued(1, [0, 0.05, 0.1], new FakeClock(), 80);
    expect(at).toEqual([0, 80, 160]);
    expect(r.lag).toMatchObject({ maxMs: 60, meanMs: 30, p50Ms: 30, p99Ms: 60 });
    expect(renderReport('t.lct', r)).toMatch(/behind schedule: p50 30\.000 ms, p99 60\.000 ms, max 60\.000 ms/);
  });

  it('never runs ahead: a late record is issued at once and its lag reported', () => {
    const clock = new FakeClock();
    const p = new Pacer(1, clock);
    expect(p.wait(5)).toBe(0);
    clock.t = 30; // the host was slow: the record due at 10 ms is 20 ms late
    expect(p.wait(5.01)).toBeCloseTo(20);
    expect(p.maxLagMs).toBeCloseTo(20);
    expect(() => new Pacer(-1)).toThrow(/speed/);
  });

  it('a gap longer than a Node timer can take sleeps in chunks of at most 2^31-1 ms, not a 1 ms spin', async () => {
    const clock = new FakeClock();
    const p = new Pacer(1, clock);
    await p.wait(0);
    // 60 days later: 5.184e9 ms, three timer-sized chunks.
    expect(await p.wait(60 * 86_400)).toBeLessThanOrEqual(0.25);
    expect(clock.sleeps.length).toBe(3);
    for (const ms of clock.sleeps) expect(ms).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(clock.t).toBeGreaterThanOrEqual(60 * 86_400_000);
  });

  it('non-finite or unrepresentable times are not waited for, and the lag stats stay finite', async () => {
    const clock = new FakeClock();
    clock.sleep = async () => {
      throw new Error('must not sleep');
    };
    const p = new Pacer(1, clock);
    expect(p.wait(Number.NaN)).toBe(0);
    expect(p.wait(Number.POSITIVE_INFINITY)).toBe(0);
    expect(p.wait(0)).toBe(0); // the origin
    expect(p.wait(-1e308)).toBe(0); // 1e311 ms early overflows a double: no schedule
    clock.t = 1;
    // 1.7e308 ms late, twice: the total would overflow to Infinity.
    expect(await p.wait(-1.7e305)).toBeGreaterThan(1e308);
    expect(await p.wait(-1.7e305)).toBeGreaterThan(1e308);
    expect(Number.isFinite(p.totalLagMs) && Number.isFinite(p.maxLagMs)).toBe(true);
  });
});

describe('a read waiting for its L2 load', () => {
  /** enter(k1) waits for a load; k2 and k3 are other requests' keys; the load ends during k3's call. */
  class WaitingTarget extends FakeTarget {
    release: () => void = () => undefined;
    constructor(readonly overlapsWaits: boolean) {
      super();
    }
    prepareRead(keys: readonly ObjectKey[]) {
      this.log.push({ op: 'load', at: 0, keys: keys.length });
      return new Promise<void>((resolve) => {
        this.release = resolve;
        // Without overlap nothing else runs meanwhile: the load ends on its own.
        if (!this.overlapsWaits) setImmediate(resolve);
      });
    }
    finishWrite(keys: readonly ObjectKey[]) {
      super.finishWrite(keys);
      if (keys[0]!.id === key(3).id) this.release();
    }
  }
  const bytes = (() => {
    const b = TraceBuilder.memory();
    b.call('read_prefetched_results.__enter__', 0, { keys: [key(1)] });
    b.call('finish_write', 0.001, { keys: [key(2)] });
    b.call('finish_write', 0.002, { keys: [key(1)] });
    b.call('finish_write', 0.003, { keys: [key(3)] });
    return b.bytes();
  })();
  const run = async (overlap: boolean) => {
    const t = new WaitingTarget(overlap);
    const reported: number[] = [];
    const r = await replayTrace(stream(bytes), t, { speed: 0, onRecord: (rec) => void reported.push(rec.index) });
    return { order: t.log.map((l) => `${l.op}:${l.keys}`), reported, r };
  };

  it('lets records on other keys go on, keeps the order per key, and reports outcomes in trace order', async () => {
    const { order, reported, r } = await run(true);
    // k2 and k3 run while k1 loads; k1's finish_write waits for its enter.
    expect(order).toEqual(['load:1', 'finish_write:1', 'finish_write:1', 'enter:1', 'finish_write:1', 'exit:1']);
    expect(reported).toEqual([0, 1, 2, 3]);
    expect(r).toMatchObject({ replayed: 4, failed: 0, closedAtEnd: 1 });
  });

  it('a target that does not overlap waits (a server) gets one call at a time', async () => {
    const { order, reported } = await run(false);
    expect(order).toEqual(['load:1', 'enter:1', 'finish_write:1', 'finish_write:1', 'finish_write:1', 'exit:1']);
    expect(reported).toEqual([0, 1, 2, 3]);
  });
});

describe('canonical keys', () => {
  const again = (k: ObjectKey) => new ObjectKey(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);

  it('one object per distinct key, by every field; found from record bytes without building it', () => {
    const i = new KeyInterner();
    const k = key(7, 'm', 's');
    expect(i.key(k)).toBe(k);
    expect(i.key(again(k))).toBe(k);
    for (const other of [key(7, 'm2', 's'), key(7, 'm', 't'), new ObjectKey(k.chunkHash, 'm', 1, 0, 's'), new ObjectKey(k.chunkHash, 'm', k.kvRank, 3, 's'), key(8, 'm', 's')]) expect(i.key(other)).toBe(other);
    const buf = new Uint8Array(40);
    buf.set(k.chunkHash, 5);
    expect(i.fromBytes(buf, 5, 32, 'm', k.kvRank, 0, 's')).toBe(k);
    const fresh = i.fromBytes(buf, 5, 32, 'm', k.kvRank, 0, 'other');
    expect(fresh).not.toBe(k);
    buf.fill(0);
    expect(fresh.chunkHash).toEqual(k.chunkHash); // a copy: the reader's buffer is reused
    expect(i.distinct).toBe(7);
  });

  it('record arguments equal the full decode, with every key list made of shared canonical keys', () => {
    for (const bytes of [fixtureBytes('workload-small.lct'), fixtureBytes('unknown-tag.lct'), trafficTrace({ requests: 60, keysPerCall: [1, 20], layout: LAYOUT }).bytes]) {
      const recs = new TraceParser().push(bytes);
      const wants = new TraceParser().push(bytes).map((r) => r.decodeArgs());
      const ra = new RecordArgs(new KeyInterner());
      const seen = new Map<string, ObjectKey>();
      const problems: string[] = [];
      for (const rec of recs) {
        const got = ra.of(rec);
        const want = wants[rec.index]!;
        expect(Object.keys(got)).toEqual(Object.keys(want));
        for (const name of Object.keys(want)) {
          const w = want[name];
          if (Array.isArray(w) && w.every((k) => k instanceof ObjectKey)) {
            const g = got[name] as ObjectKey[];
            if (g.map((k) => k.id).join() !== w.map((k: ObjectKey) => k.id).join()) problems.push(`record ${rec.index} ${name}: other keys`);
            for (const k of g) {
              if ((seen.get(k.id) ?? k) !== k) problems.push(`record ${rec.index}: key ${k.hashHex} is a second object`);
              seen.set(k.id, k);
            }
          } else expect(got[name]).toEqual(w);
        }
      }
      expect(problems).toEqual([]);
      expect(seen.size).toBeGreaterThan(0);
    }
  });

  it('a prefetch recorded as one spec gets canonical keys too', () => {
    const b = TraceBuilder.memory();
    b.call('finish_write', 0, { keys: [key(1)] });
    b.record(smQualname('submit_prefetch_task'), 0.1, ['spec', 'external_request_id', 'skip_l2'], [new PrefetchRequestSpec([key(1), key(2)], LAYOUT), 'r', false]);
    const [w, p] = new TraceParser().push(b.bytes());
    const ra = new RecordArgs(new KeyInterner());
    const k1 = (ra.of(w!).keys as ObjectKey[])[0]!;
    const spec = ra.of(p!).spec as PrefetchRequestSpec;
    expect(spec).toBeInstanceOf(PrefetchRequestSpec);
    expect(spec.keys[0]).toBe(k1);
    expect(spec.layoutDesc.byteSize).toBe(LAYOUT.byteSize);
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

describe('replay of dtype aliases', () => {
  it('an older trace whose layouts say torch.half replays as torch.float16 (the storage manager takes canonical names only)', async () => {
    const b = TraceBuilder.memory();
    const layout = new MemoryLayoutDesc([[2, 4, 8]], ['torch.half']);
    b.call('reserve_write', 0, { keys: [key(1), key(2)], layout_desc: layout, mode: 'new' });
    b.call('finish_write', 0.001, { keys: [key(1), key(2)] });
    const r = await replayTrace(stream(b.bytes()), local('1'), { speed: 0 });
    expect(r).toMatchObject({ replayed: 2, failed: 0 });
    expect(r.stats.bytes_written).toBe(2 * 2 * 4 * 8 * 2);
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
    // The test's L1 size (1 GiB, recorded 8.0) and the settings the replay has no model of.
    expect(r.config.differs).toEqual(expect.arrayContaining(['chunk_size', 'l1_size_gb', 'l1_use_lazy']));
    expect(r.config.differs).not.toContain('eviction_policy');
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

describe('objects larger than --max-object-bytes', () => {
  it('are finished unfilled, and the manager reads them as zeros from one shared buffer per size (no allocation per object)', () => {
    const big = new MemoryLayoutDesc([[1024, 1024]], ['torch.float16']); // 2 MiB
    const t = new LocalTarget(storageConfigFromFlags({ 'l1-size-gb': '0.01', 'l2-dir': 'none' }), 1024);
    const ks = [key(1), key(2)];
    expect(t.writeData(ks, t.reserveWrite(ks, big, 'new'), big)).toBe(0);
    // What the manager does with such objects, seen directly: reads of never-written objects.
    const sm = createStorageManager(storageConfigFromFlags({ 'l1-size-gb': '0.01', 'l2-dir': 'none' }));
    sm.reserveWrite(ks, big, 'new');
    sm.finishWrite(ks);
    sm.submitPrefetchTask(ks, big);
    const [a, b] = sm.readPrefetchedResults(ks).enter();
    expect(a).toBe(b);
    expect(a!.length).toBe(big.byteSize);
    expect(a!.every((x) => x === 0)).toBe(true);
  });
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
