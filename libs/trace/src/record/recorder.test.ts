import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Recorder } from './recorder.ts';
import { MemorySink, type FrameSink } from './sink.ts';
import { setupTracing } from './setup.ts';
import { EventBus } from '../publish/bus.ts';
import { TraceGate, traceMethods } from '../publish/traced.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { trafficEvents } from '../test-support/traffic.ts';
import { PyFloat } from '../format/config-json.ts';
import { MemoryLayoutDesc, ObjectKey, type CallEvent } from '../model.ts';

const clock = { mono: () => 1000, wall: () => 1.7e9 };

function parse(bytes: Uint8Array) {
  const p = new TraceParser({ decodeArgs: true });
  const records = p.push(bytes);
  p.finish();
  return { header: p.header!, records, report: p.report };
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kvtrace-rec-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('recorder', () => {
  it('writes the header lazily and once: on attachConfig, with the sorted config and its digest', () => {
    const sink = new MemorySink();
    const r = new Recorder(sink, { clock });
    expect(sink.writes).toBe(0);
    expect(r.attachConfig({ l1_size_gb: new PyFloat(1), eviction_policy: 'LRU' })).toBe(true);
    expect(sink.writes).toBe(1);
    expect(r.attachConfig({ other: 1 })).toBe(false);
    r.close();
    const { header, records } = parse(sink.bytes());
    expect(header.sm_config_json).toBe('{"eviction_policy": "LRU", "l1_size_gb": 1.0}');
    expect(header.digest_valid).toBe(true);
    expect(header.t_mono_start).toBe(1000);
    expect(records).toHaveLength(0);
  });

  it('a first record before any config writes a placeholder header (never rewritten)', () => {
    const sink = new MemorySink();
    const r = new Recorder(sink, { clock });
    r.onEvent(trafficEvents({ records: 1 })[0]!);
    expect(r.attachConfig({ late: true })).toBe(false);
    r.close();
    const { header, records } = parse(sink.bytes());
    expect(header.sm_config_json).toBe('');
    expect(header.sm_config_digest).toBe('');
    expect(records).toHaveLength(1);
  });

  it('close alone writes a valid header-only file, and is idempotent', () => {
    const sink = new MemorySink();
    const gate = new TraceGate();
    gate.enabled = true;
    const r = new Recorder(sink, { clock, gate });
    r.close();
    r.close();
    expect(gate.enabled).toBe(false);
    expect(sink.closed).toBe(true);
    expect(parse(sink.bytes()).records).toHaveLength(0);
  });

  it('records round-trip: times relative to t_mono_start (clamped at 0), arguments decoded equal', () => {
    const sink = new MemorySink();
    const r = new Recorder(sink, { clock });
    const events = trafficEvents({ records: 50, keysPerCall: 4 });
    events[0] = { ...events[0]!, tMono: 999 }; // before the recorder existed
    for (const e of events) r.onEvent(e);
    r.close();
    const { records } = parse(sink.bytes());
    expect(records).toHaveLength(50);
    expect(records[0]!.t_mono).toBe(0);
    records.forEach((rec, i) => {
      const e = events[i]!;
      expect(rec.qualname).toBe(e.qualname);
      expect(rec.t_wall).toBe(e.tWall);
      if (i > 0) expect(rec.t_mono).toBeCloseTo(e.tMono - 1000, 9);
      expect(Object.keys(rec.args())).toEqual(e.argNames);
      expect(Object.values(rec.args())).toEqual(e.args);
    });
  });

  it('batches are bounded by bytes: each write holds whole frames, at most ~64 KiB pending', () => {
    const sizes: number[] = [];
    const mem = new MemorySink();
    const sink: FrameSink = { write: (b) => (sizes.push(b.length), mem.write(b)), sync: () => {}, close: () => {} };
    const r = new Recorder(sink, { clock });
    for (const e of trafficEvents({ records: 200, keysPerCall: 16, allMisses: true })) r.onEvent(e);
    r.close();
    expect(sizes.length).toBeGreaterThan(5);
    for (const s of sizes.slice(1, -1)) expect(s).toBeLessThan(64 * 1024 + 8 * 1024);
    // Every write ends on a frame boundary: parsing each prefix of writes never truncates.
    let total = 0;
    const all = mem.bytes();
    for (const s of sizes) {
      total += s;
      expect(parse(all.subarray(0, total)).report.truncated).toBeNull();
    }
    expect(parse(all).records).toHaveLength(200);
  });

  it('batches are bounded in time: a lone record is written when flushMs has passed (fake clock)', () => {
    vi.useFakeTimers();
    try {
      const sink = new MemorySink();
      const r = new Recorder(sink, { clock, flushMs: 50 });
      r.attachConfig({});
      r.onEvent(trafficEvents({ records: 1 })[0]!);
      expect(sink.writes).toBe(1);
      vi.advanceTimersByTime(49);
      expect(sink.writes).toBe(1);
      vi.advanceTimersByTime(1);
      expect(sink.writes).toBe(2);
      r.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it('drops and counts: values without a codec, failed writes, events after close; one notice per kind or state change', () => {
    let failNext = false;
    const mem = new MemorySink();
    const sink: FrameSink = {
      write: (b) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        }
        mem.write(b);
      },
      sync: () => {},
      close: () => {},
    };
    const notices: string[] = [];
    const r = new Recorder(sink, { clock, onNotice: (m) => notices.push(m) });
    const [a, b] = trafficEvents({ records: 2 });
    r.onEvent(a!);
    r.onEvent({ ...b!, args: [new (class Opaque {})()] });
    r.onEvent({ ...b!, args: [new (class Opaque {})()] });
    expect(r.stats.encodeFailures).toBe(2);
    failNext = true;
    r.flush();
    expect(r.stats.writeFailures).toBe(1);
    expect(r.state).toBe('failing');
    expect(r.problem).toBe('ENOSPC: no space left on device');
    r.onEvent(b!);
    r.flush();
    expect(r.state).toBe('recording');
    r.close();
    r.onEvent(b!);
    expect(r.stats).toMatchObject({ encodeFailures: 2, writeFailures: 1, afterClose: 1, droppedCount: 4, recordsWritten: 1 });
    expect(notices).toEqual([
      expect.stringMatching(/cannot be encoded \(no codec for Opaque\)/),
      expect.stringMatching(/fail \(ENOSPC: no space left on device\): records are dropped and counted until a write succeeds/),
      expect.stringMatching(/succeed again; 1 records were dropped while they failed/),
    ]);
    expect(parse(mem.bytes()).records).toHaveLength(1);
  });

  it('refuses records LMCache could not decode: dropped and counted, never written, one notice', () => {
    const sink = new MemorySink();
    const notices: string[] = [];
    const r = new Recorder(sink, { clock, onNotice: (m) => notices.push(m) });
    const good = trafficEvents({ records: 50 }).find((e) => e.qualname.endsWith('.reserve_write'));
    const keys = good!.args[0] as ObjectKey[];
    const bad = (args: unknown[]): CallEvent => ({ ...good!, args });
    r.onEvent(bad([keys, new MemoryLayoutDesc([[4]], ['torch.half']), 'new']));
    r.onEvent(bad([[new ObjectKey(new Uint8Array(2), 'org@model')], good!.args[1], 'new']));
    r.onEvent(bad([[new ObjectKey(new Uint8Array(2), 'm', 0, 0, 's'.repeat(200))], good!.args[1], 'new']));
    r.onEvent(bad([[new ObjectKey(new Uint8Array(2), 'm\ud800')], good!.args[1], 'new']));
    r.onEvent(good!);
    r.close();
    expect(r.stats).toMatchObject({ refused: 4, droppedCount: 4, recordsWritten: 1 });
    expect(notices).toEqual([expect.stringMatching(/refused a reserve_write record LMCache could not decode \(layout_desc.dtypes\[0\]: "torch.half" is an alias/)]);
    const { records } = parse(sink.bytes());
    expect(records).toHaveLength(1);
    expect((records[0]!.args().keys as ObjectKey[]).map((k) => k.modelName)).toEqual(keys.map((k) => k.modelName));
  });

  it('close drains what is still queued on the bus', () => {
    const bus = new EventBus<CallEvent>({ schedule: () => {} });
    const sink = new MemorySink();
    const r = new Recorder(sink, { clock });
    r.subscribe(bus);
    for (const e of trafficEvents({ records: 10 })) bus.publish(e);
    r.close();
    expect(parse(sink.bytes()).records).toHaveLength(10);
  });
});

describe('setupTracing', () => {
  it('creates, attaches, subscribes and turns the gate on; a traced object records to the file', async () => {
    const path = join(tmp(), 't.lct');
    const s = setupTracing({ path, config: { l1_size_gb: 1 } });
    expect(s.gate.enabled).toBe(true);
    const obj = traceMethods({ f(x: number) { return x * 2; } }, { f: { qualname: 'm.f', params: ['x'] } }, s);
    expect(obj.f(21)).toBe(42);
    await s.bus.whenIdle();
    s.close();
    expect(s.gate.enabled).toBe(false);
    const { header, records } = parse(new Uint8Array(readFileSync(path)));
    expect(header.sm_config_json).toBe('{"l1_size_gb": 1}');
    expect(records.map((r) => [r.qualname, r.args()])).toEqual([['m.f', { x: 21 }]]);
  });

  it('on failure leaves the gate off and no file behind it open', () => {
    const gate = new TraceGate();
    expect(() => setupTracing({ path: join(tmp(), 'missing-dir', 't.lct'), gate })).toThrow();
    expect(gate.enabled).toBe(false);
    const existing = join(tmp(), 'exists.lct');
    writeFileSync(existing, 'keep me');
    expect(() => setupTracing({ path: existing, gate })).toThrow(/EEXIST/);
    expect(readFileSync(existing, 'utf8')).toBe('keep me');
    expect(gate.enabled).toBe(false);
  });

  it('a config the encoder cannot write leaves no file (not even a hidden partial one) and the gate off', () => {
    const gate = new TraceGate();
    const dir = tmp();
    const path = join(dir, 'bad.lct');
    expect(() => setupTracing({ path, gate, config: { x: Symbol('no') } as never })).toThrow();
    expect(gate.enabled).toBe(false);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a disk full at start fails the setup with the cause and leaves no 0-byte trace behind', () => {
    const dir = tmp();
    const path = join(dir, 'full.lct');
    const enospc = () => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    expect(() => setupTracing({ path, config: { a: 1 }, sinkOptions: { write: enospc } })).toThrow(/ENOSPC/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
