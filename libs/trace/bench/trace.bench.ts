/**
 * libs/trace speed, each figure measured side by side with its baseline in this process:
 * - reader scan (time + qualname, args not decoded) vs msgpackr `unpack` of every frame;
 * - recorder (encode + write to a file) vs msgpackr `pack` + one write per frame (LMCache's shape);
 * - a traced method with the gate off vs the same method untraced.
 * Records are the trace builder's seeded traffic, requests of 16 ObjectKeys (~2.6 KB a lookup, as LMCache encodes them).
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, unpack } from 'msgpackr';
import { MemorySink, Recorder, TraceGate, TraceReader, traceMethods, type CallEvent } from '../src/index.ts';
import { FileSink } from '../src/node.ts';
import { randomKeys, trafficEvents } from '../src/test-support/index.ts';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { buildWorkloadAnalyzer, filterQueries } from '../src/test-support/analyzer-workload.ts';

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const now = () => performance.now();

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function memoryStream(bytes: Uint8Array, chunk = 1 << 20): ReadableStream<Uint8Array> {
  let o = 0;
  return new ReadableStream({
    pull(c) {
      if (o >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(o, o + chunk));
      o += chunk;
    },
  });
}

/** The same record as a plain object, the way a general-purpose encoder would get it. */
function plainRecord(e: CallEvent, tMonoStart: number): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  e.argNames.forEach((n, i) => (args[n] = toPlain(e.args[i])));
  return { type: 'record', t_mono: e.tMono - tMonoStart, t_wall: e.tWall, qualname: e.qualname, args };
}
function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('chunkHash' in o)
      return { __t__: 'ObjectKey', v: { chunk_hash: o.chunkHash, model_name: o.modelName, kv_rank: o.kvRank, object_group_id: o.objectGroupId, cache_salt: o.cacheSalt } };
    if ('shapes' in o) return { __t__: 'MemoryLayoutDesc', v: { shapes: o.shapes, dtypes: o.dtypes } };
    if ('enumName' in o) return { __t__: o.enumName, v: o.name };
    if ('windows' in o) return { __t__: 'AttnWindowDesc', v: o.windows };
  }
  return v;
}

async function benchReader(n: number): Promise<{ section: BenchSection; json: Record<string, number> }> {
  const events = trafficEvents({ records: n, keysPerCall: 16, seed: 11, freshKeys: true });
  const sink = new MemorySink();
  const rec = new Recorder(sink);
  rec.attachConfig({ bench: true });
  for (const e of events) rec.onEvent(e);
  rec.close();
  const bytes = sink.bytes();
  const mb = bytes.length / 1e6;
  // The keys the calls listed (request flows: a read or release may list a prefix of its submit's).
  const keysWritten = events.reduce((sum, e) => {
    const i = e.argNames.indexOf('keys');
    return sum + (i < 0 ? 0 : (e.args[i] as unknown[]).length);
  }, 0);

  const ours: number[] = [];
  const base: number[] = [];
  const full: number[] = [];
  let qualnameCount = 0;
  // Round 0 warms the JIT for both sides and is not counted.
  for (let round = 0; round < 4; round++) {
    if (round === 1) {
      ours.length = 0;
      base.length = 0;
      full.length = 0;
    }
    let t = now();
    const reader = new TraceReader(memoryStream(bytes));
    let count = 0;
    let tSum = 0;
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        tSum += r.t_mono;
        if (r.qualname.length > 0) count++;
      }
    }
    ours.push(now() - t);
    if (count !== n || tSum <= 0) throw new Error(`reader read ${count} of ${n} records`);

    t = now();
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let o = 4 + dv.getUint32(0);
    let c2 = 0;
    while (o < bytes.length) {
      const len = dv.getUint32(o);
      const r = unpack(bytes.subarray(o + 4, o + 4 + len)) as { qualname: string; t_mono: number };
      if (r.qualname.length > 0) c2++;
      o += 4 + len;
    }
    base.push(now() - t);
    qualnameCount = c2;

    t = now();
    let keys = 0;
    for await (const batch of new TraceReader(memoryStream(bytes)).batches()) {
      for (const r of batch) keys += (r.decodeArgs().keys as unknown[]).length;
    }
    full.push(now() - t);
    if (keys !== keysWritten) throw new Error(`full decode read ${keys} keys, the calls listed ${keysWritten}`);
  }
  if (qualnameCount !== n) throw new Error('baseline miscounted');
  const oursMs = median(ours);
  const baseMs = median(base);
  const oursRate = n / (oursMs / 1000);
  const baseRate = n / (baseMs / 1000);
  return {
    section: {
      title: `Reader scan: ${fmt(n)} records x 16 ObjectKeys (${fmt(mb, 0)} MB, ${fmt(bytes.length / n, 0)} B/record), median of 3 after a warm-up round`,
      head: ['reader', 'ms', 'records/s', 'MB/s', 'ratio'],
      rows: [
        ['TraceReader over ReadableStream (time + qualname)', fmt(oursMs), fmt(oursRate), fmt(mb / (oursMs / 1000)), `${fmt(oursRate / baseRate, 1)}x`],
        ['msgpackr unpack of every frame (baseline)', fmt(baseMs), fmt(baseRate), fmt(mb / (baseMs / 1000)), '1.0x'],
        ['TraceReader + every argument decoded to typed values', fmt(median(full)), fmt(n / (median(full) / 1000)), fmt(mb / (median(full) / 1000)), `${fmt(baseMs / median(full), 2)}x`],
      ],
      json: {},
    },
    json: { reader_full_decode_ratio: baseMs / median(full), reader_scan_ratio: oursRate / baseRate, reader_scan_mb_per_s: mb / (oursMs / 1000), reader_records_per_s: oursRate },
  };
}

function benchRecorder(n: number): { section: BenchSection; json: Record<string, number> } {
  const events = trafficEvents({ records: n, keysPerCall: 16, seed: 12, freshKeys: true });
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-bench-'));
  try {
    const ours: number[] = [];
    const base: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 3; round++) {
      const p1 = join(dir, `ours-${round}.lct`);
      let t = now();
      const rec = new Recorder(new FileSink(p1));
      rec.attachConfig({ bench: true });
      for (let i = 0; i < events.length; i++) rec.onEvent(events[i]!);
      rec.close();
      ours.push(now() - t);
      if (rec.stats.recordsWritten !== n) throw new Error('recorder dropped records');
      bytes = statSync(p1).size;

      const p2 = join(dir, `msgpackr-${round}.lct`);
      t = now();
      const fd = openSync(p2, 'w');
      for (let i = 0; i < events.length; i++) {
        const body = pack(plainRecord(events[i]!, 0));
        const frame = Buffer.allocUnsafe(4 + body.length);
        frame.writeUInt32BE(body.length, 0);
        body.copy(frame, 4);
        writeSync(fd, frame);
      }
      closeSync(fd);
      base.push(now() - t);
      rmSync(p1);
      rmSync(p2);
    }
    const oursMs = median(ours);
    const baseMs = median(base);
    const oursRate = n / (oursMs / 1000);
    const baseRate = n / (baseMs / 1000);
    const mb = bytes / 1e6;
    return {
      section: {
        title: `Recorder: ${fmt(n)} records x 16 ObjectKeys encoded and written to a file (fsync at close), median of 3`,
        head: ['writer', 'ms', 'records/s', 'MB/s', 'ratio'],
        rows: [
          ['Recorder (specialised encoder, batched writes)', fmt(oursMs), fmt(oursRate), fmt(mb / (oursMs / 1000)), `${fmt(oursRate / baseRate, 1)}x`],
          ['msgpackr pack + one write per frame (baseline)', fmt(baseMs), fmt(baseRate), fmt(mb / (baseMs / 1000)), '1.0x'],
        ],
        json: {},
        notes: ['LMCache\'s Python recorder measured ~84,000 records/s for the same records on this machine (issue text; not re-measured here: no Python msgspec).'],
      },
      json: { recorder_records_per_s: oursRate, recorder_mb_per_s: mb / (oursMs / 1000), recorder_ratio_vs_msgpackr: oursRate / baseRate },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A storage-manager-shaped method: look 16 keys up in a Map and count hits. */
class Shaped {
  private readonly map = new Map<string, number>();
  constructor(keys: { id: string }[]) {
    keys.forEach((k, i) => this.map.set(k.id, i));
  }
  finish(keys: readonly { id: string }[]): number {
    let hits = 0;
    for (let i = 0; i < keys.length; i++) if (this.map.has(keys[i]!.id)) hits++;
    return hits;
  }
  tiny(x: number): number {
    return x + 1;
  }
}

function benchGate(): { section: BenchSection; json: Record<string, number> } {
  const keys = randomKeys(16, 5).map((k) => ({ id: k.id }));
  const plain = new Shaped(keys);
  const gate = new TraceGate();
  const traced = traceMethods(new Shaped(keys), {
    finish: { qualname: 'q.finish', params: ['keys'] },
    tiny: { qualname: 'q.tiny', params: ['x'] },
  }, { gate, publish: () => true });
  const N = 2_000_000;
  const time = (f: () => number) => {
    const t = now();
    const r = f();
    return { ms: now() - t, r };
  };
  const loopFinish = (o: Shaped) => () => { let s = 0; for (let i = 0; i < N; i++) s += o.finish(keys); return s; };
  const loopTiny = (o: Shaped) => () => { let s = 0; for (let i = 0; i < N * 5; i++) s = o.tiny(s); return s; };
  const a: number[] = [], b: number[] = [], c: number[] = [], d: number[] = [];
  for (let round = 0; round < 7; round++) {
    // Alternate the order so drift on a noisy machine hits both sides alike.
    if (round % 2) { a.push(time(loopFinish(plain)).ms); b.push(time(loopFinish(traced)).ms); }
    else { b.push(time(loopFinish(traced)).ms); a.push(time(loopFinish(plain)).ms); }
    c.push(time(loopTiny(plain)).ms);
    d.push(time(loopTiny(traced)).ms);
  }
  const ratio = median(b) / median(a);
  const tinyNs = ((median(d) - median(c)) * 1e6) / (N * 5);
  return {
    section: {
      title: `Gate off: ${fmt(N)} calls of a storage-manager-shaped method (16 key lookups), median of 7`,
      head: ['call', 'ns/call', 'ratio'],
      rows: [
        ['untraced', fmt((median(a) * 1e6) / N, 1), '1.00x'],
        ['traced, gate off', fmt((median(b) * 1e6) / N, 1), `${fmt(ratio, 3)}x`],
        ['trivial method (x+1): untraced', fmt((median(c) * 1e6) / (N * 5), 2), ''],
        ['trivial method (x+1): traced, gate off', fmt((median(d) * 1e6) / (N * 5), 2), `+${fmt(tinyNs, 2)} ns`],
      ],
      json: {},
    },
    json: { gate_off_ratio: ratio, gate_off_overhead_ns: tinyNs },
  };
}

/** The inspector's worker-side index: filter 1,000,000 calls (target < 200 ms per query). */
function benchFilter(n: number): { section: BenchSection; json: Record<string, number> } {
  const { a, buildMs, pool } = buildWorkloadAnalyzer(n);
  const rows: string[][] = [];
  let worst = 0;
  for (const [label, f] of filterQueries(a, pool)) {
    f(); // the first run builds lazy structures; the steady state is what a user sees next
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const t = now();
      count = f().length;
      times.push(now() - t);
    }
    const ms = median(times);
    worst = Math.max(worst, ms);
    rows.push([label, fmt(count), fmt(ms, 1)]);
  }
  return {
    section: {
      title: `Filter index: ${fmt(n)} calls x 16 keys (built in ${fmt(buildMs)} ms, ${fmt((buildMs * 1e3) / n, 1)} us/call), median of 5`,
      head: ['query', 'matches', 'ms'],
      rows,
      json: {},
    },
    json: { filter_1m_worst_ms: worst, index_build_us_per_call: (buildMs * 1e3) / n },
  };
}

export async function run(): Promise<BenchSection[]> {
  const reader = await benchReader(200_000);
  const recorder = benchRecorder(150_000);
  const gate = benchGate();
  const filter = benchFilter(1_000_000);
  return [
    { ...filter.section, json: filter.json },
    { ...reader.section, json: reader.json },
    { ...recorder.section, json: recorder.json },
    { ...gate.section, json: gate.json },
  ];
}
