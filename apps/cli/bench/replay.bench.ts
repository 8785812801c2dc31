/**
 * `npm run bench -- --only replay`: replay throughput at --speed 0 (records/s) against an in-process
 * storage manager, next to its baseline in the same run: reading and decoding the same trace
 * without replaying it (the replay cannot beat that).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLayoutDesc, TraceReader } from '@kvtrace/trace';
import { storageConfigFromFlags } from '@kvtrace/server/storage';
import { trafficTrace } from '@kvtrace/trace/test-support';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { replayTrace } from '../src/replay/run-replay.ts';
import { LocalTarget } from '../src/replay/target-local.ts';
import { READ_CHUNK } from '../src/replay/read-chunk.ts';

/** The chunk size the CLI reads files with (see READ_CHUNK in src/replay/read-chunk.ts). */
const CHUNK = READ_CHUNK;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.subarray(off, off + CHUNK));
      off += CHUNK;
    },
  });
}

async function decodeOnly(bytes: Uint8Array): Promise<number> {
  const t0 = performance.now();
  const r = new TraceReader(streamOf(bytes));
  let n = 0;
  for await (const batch of r.batches()) for (const rec of batch) (rec.args(), n++);
  return n / ((performance.now() - t0) / 1000);
}

async function replay(bytes: Uint8Array, flags: Record<string, string>): Promise<{ rps: number; records: number; failed: number; l1: number }> {
  const r = await replayTrace(streamOf(bytes), new LocalTarget(storageConfigFromFlags(flags)), { speed: 0 });
  return { rps: r.recordsPerSecond, records: r.records, failed: r.failed, l1: r.l1HitRate };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<BenchSection[]> {
  const layout = new MemoryLayoutDesc([[2, 8, 128]], ['torch.bfloat16']); // 4 KiB objects: measures the replay, not memcpy
  const l1 = String((2048 * layout.byteSize) / 2 ** 30);
  const big = trafficTrace({ requests: 8_000, keysPerCall: 16, documents: 512, layout }).bytes;
  const small = trafficTrace({ requests: 1_500, keysPerCall: 16, documents: 512, layout }).bytes;
  // Warm-up: JIT the reader and the manager before timing.
  await replay(small, { 'l1-size-gb': l1, 'l2-dir': 'none' });
  const base = await decodeOnly(big);
  const noL2 = await replay(big, { 'l1-size-gb': l1, 'l2-dir': 'none' });
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-bench-l2-'));
  let withL2;
  try {
    withL2 = await replay(small, { 'l1-size-gb': l1, 'l2-dir': dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (noL2.failed || withL2.failed) throw new Error(`replay failed records: ${noL2.failed} / ${withL2.failed}`);
  return [
    {
      title: `replay at --speed 0, in-process storage manager (16 keys per call, 4 KiB objects)`,
      head: ['case', 'records', 'records/s', 'vs decode only', 'L1 hit rate'],
      rows: [
        ['read + decode only (baseline)', fmt(noL2.records), fmt(base), '1.00', ''],
        ['replay, L2 off', fmt(noL2.records), fmt(noL2.rps), (noL2.rps / base).toFixed(2), `${(100 * noL2.l1).toFixed(1)}%`],
        ['replay, L2 on (fs, tmpdir)', fmt(withL2.records), fmt(withL2.rps), (withL2.rps / base).toFixed(2), `${(100 * withL2.l1).toFixed(1)}%`],
      ],
      json: { replay_records_per_s: Math.round(noL2.rps), replay_decode_only_records_per_s: Math.round(base), replay_l2_records_per_s: Math.round(withL2.rps) },
      notes: ['records/s counts trace records (every operation, scope exits included) over the wall time of the whole replay, closing included'],
    },
  ];
}
