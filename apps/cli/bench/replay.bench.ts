/**
 * `npm run bench -- --only replay`: replay throughput at --speed 0 (records/s) against an
 * in-process storage manager, next to its baseline in the same run: reading and decoding the same
 * trace without replaying it (the replay cannot beat that). Rounds alternate between the two and
 * the medians are compared, so a busy moment of the machine hits both alike. Then: the same against
 * a server over HTTP (`--url`, the server in this process), and a replay at 1x with the lag it
 * measured behind the recorded schedule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLayoutDesc, TraceReader } from '@kvtrace/trace';
import { trafficTrace } from '@kvtrace/trace/test-support';
import { buildApp } from '@kvtrace/server';
import { storageConfigFromFlags } from '@kvtrace/server/storage';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { replayTrace, type ReplayResult } from '../src/replay/run-replay.ts';
import { HttpTarget } from '../src/replay/target-http.ts';
import { LocalTarget } from '../src/replay/target-local.ts';
import { READ_CHUNK } from '../src/replay/read-chunk.ts';

const ROUNDS = 5;

/** The trace in the chunk size the CLI reads files with (READ_CHUNK). */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(off, off + READ_CHUNK));
      off += READ_CHUNK;
    },
  });
}

async function decodeOnly(bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const r = new TraceReader(streamOf(bytes));
  let n = 0;
  for await (const batch of r.batches())
    for (const rec of batch) {
      rec.args();
      n++;
    }
  return n / ((performance.now() - t0) / 1000);
}

const replay = (bytes: Uint8Array, flags: Record<string, string>, speed = 0): Promise<ReplayResult> =>
  replayTrace(streamOf(bytes), new LocalTarget(storageConfigFromFlags(flags)), { speed });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function run(): Promise<BenchSection[]> {
  const layout = new MemoryLayoutDesc([[2, 8, 128]], ['torch.bfloat16']); // 4 KiB objects: measures the replay, not memcpy
  const noL2 = { 'l1-size-gb': String((2048 * layout.byteSize) / 2 ** 30), 'l2-dir': 'none' };
  const shape = { keysPerCall: 16, documents: 512, layout };
  const big = trafficTrace({ ...shape, requests: 8_000 }).bytes;
  const small = trafficTrace({ ...shape, requests: 1_500 }).bytes;

  // Warm-up: JIT the reader and the manager before timing.
  await decodeOnly(small);
  await replay(small, noL2);
  const base: number[] = [];
  const local: number[] = [];
  let last: ReplayResult | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    base.push(await decodeOnly(big));
    last = await replay(big, noL2);
    if (last.failed) throw new Error(`replay failed ${last.failed} records`);
    local.push(last.recordsPerSecond);
  }
  const rate = median(local);
  const baseRate = median(base);

  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-bench-l2-'));
  let withL2: ReplayResult;
  let http: ReplayResult;
  try {
    withL2 = await replay(small, { ...noL2, 'l2-dir': dir });
    const app = await buildApp({ storage: storageConfigFromFlags(noL2), tracesDir: join(dir, 'traces') });
    try {
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      http = await replayTrace(streamOf(small), await HttpTarget.connect(url, 4 << 20), { speed: 0 });
    } finally {
      await app.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // At 1x: ~1,400 records over ~3 s of recorded time (a call every 2 ms on average).
  const paced = trafficTrace({ ...shape, requests: 300, gapS: 0.002 }).bytes;
  const at1x = await replay(paced, noL2, 1);
  if (withL2.failed || http.failed || at1x.failed) throw new Error(`replay failed records: ${withL2.failed} / ${http.failed} / ${at1x.failed}`);

  return [
    {
      title: `replay at --speed 0 (16 keys per request, 4 KiB objects; median of ${ROUNDS} alternating rounds)`,
      head: ['case', 'records', 'records/s', 'vs decode only', 'L1 hit rate'],
      rows: [
        ['read + decode only (baseline)', fmt(last!.records), fmt(baseRate), '1.00', ''],
        ['replay, in process, L2 off', fmt(last!.records), fmt(rate), (rate / baseRate).toFixed(2), pct(last!.l1HitRate)],
        ['replay, in process, L2 on (fs, tmpdir; one run)', fmt(withL2.records), fmt(withL2.recordsPerSecond), (withL2.recordsPerSecond / baseRate).toFixed(2), pct(withL2.l1HitRate)],
        ['replay --url (a server in this process, L2 off; one run)', fmt(http.records), fmt(http.recordsPerSecond), (http.recordsPerSecond / baseRate).toFixed(2), pct(http.l1HitRate)],
      ],
      json: {
        replay_records_per_s: Math.round(rate),
        replay_decode_only_records_per_s: Math.round(baseRate),
        replay_vs_decode_ratio: rate / baseRate,
        replay_l2_records_per_s: Math.round(withL2.recordsPerSecond),
        replay_http_records_per_s: Math.round(http.recordsPerSecond),
      },
      notes: ['records/s counts trace records (every operation, scope exits included) over the wall time of the whole replay, closing included'],
    },
    {
      title: `replay at 1x, in process, L2 off: ${at1x.traceSeconds.toFixed(2)} s of trace (${fmt(at1x.records)} records) in ${at1x.wallSeconds.toFixed(2)} s`,
      head: ['behind the recorded schedule', 'ms'],
      rows: [
        ['p50', at1x.lag.p50Ms.toFixed(3)],
        ['p99', at1x.lag.p99Ms.toFixed(3)],
        ['max', at1x.lag.maxMs.toFixed(3)],
        ['mean', at1x.lag.meanMs.toFixed(3)],
      ],
      json: { replay_1x_lag_p99_ms: at1x.lag.p99Ms, replay_1x_lag_max_ms: at1x.lag.maxMs, replay_1x_wall_over_trace: at1x.wallSeconds / at1x.traceSeconds },
    },
  ];
}
