/**
 * Server throughput with tracing off vs on, side by side in one run: two server processes (same
 * flags but --trace-level), the same store+retrieve workload sent to each in alternating rounds, so
 * drift of the machine hits both alike. Run twice: with the workload's default chunks, and with
 * 4 KiB chunks, where per-call costs (what tracing adds) dominate over moving bytes. L2 is off:
 * disk timing would only add noise to a ratio.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { layoutOfKib, runWorkload, type WorkloadResult } from '../src/workload/index.ts';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const CONCURRENCY = 8;

interface Server {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
}

async function startServer(args: string[]): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'apps/server/src/server.ts'), '--port', '0', ...(args.includes('--l2-dir') ? [] : ['--l2-dir', 'none']), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  let out = '';
  const url = await new Promise<string>((res, rej) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    void exited.then(() => rej(new Error(`bench server exited:\n${out}`)));
  });
  return { child, url, exited };
}

interface Mode {
  name: 'off' | 'on';
  rates: number[];
  latencies: WorkloadResult[];
}


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

interface Case {
  label: string;
  chunkKib: number;
  rounds: number;
  requests: number;
}

/** The default workload (64 KiB chunks) decides the ratio; 4 KiB chunks show the worst case (per-call costs only). */
const CASES: Case[] = [
  { label: 'default workload, 64 KiB chunks', chunkKib: 64, rounds: 7, requests: 300 },
  { label: 'small chunks (4 KiB): per-call cost dominates', chunkKib: 4, rounds: 7, requests: 800 },
];

async function measure(c: Case, urls: Record<'off' | 'on', string>): Promise<Record<'off' | 'on', Mode>> {
  const layout = layoutOfKib(c.chunkKib);
  const modes: Record<'off' | 'on', Mode> = { off: { name: 'off', rates: [], latencies: [] }, on: { name: 'on', rates: [], latencies: [] } };
  // Warm-up (JIT, connections, L1 filled), not measured.
  for (const name of ['off', 'on'] as const) await runWorkload({ url: urls[name], requests: Math.min(2000, c.requests * 2), concurrency: CONCURRENCY, layout, seed: 99 + c.chunkKib });
  for (let round = 0; round < c.rounds; round++) {
    const order: ('off' | 'on')[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    for (const name of order) {
      const r = await runWorkload({ url: urls[name], requests: c.requests, concurrency: CONCURRENCY, layout, seed: 1000 * c.chunkKib + round });
      if (r.errors) throw new Error(`bench workload failed against tracing ${name}: ${r.firstError}`);
      modes[name].rates.push(r.reqPerS);
      modes[name].latencies.push(r);
    }
  }
  return modes;
}

const MB = 2 ** 20;

interface MemoryFigures {
  rssBeforeMb: number;
  rssAfterMb: number;
  l1Mb: number;
  l2PendingMb: number;
  requests: number;
}

/**
 * RSS after load (issue 11): a fresh traced server with L2 on, `requests` requests of the default
 * workload at concurrency 32, RSS from the server's own /v1/stats (process.memoryUsage) beside what
 * L1 holds, so the figure says how much of the memory is data the server keeps. With an 8 GiB L1
 * everything stored stays; with 0.25 GiB, L1 evicts and RSS must stay near L1 + the L2 queue cap.
 */
async function memoryAfterLoad(dir: string, l1Gb: number, requests: number): Promise<MemoryFigures> {
  const s = await startServer(['--traces-dir', dir, '--trace-level', 'storage', '--trace-output', `rss-${l1Gb}.lct`, '--l1-size-gb', String(l1Gb), '--l2-dir', join(dir, 'l2')]);
  try {
    type Stats = { l1_used_bytes: number; pending_l2_writes: number; process: { rss_bytes: number } };
    const stats = async () => (await (await fetch(`${s.url}/v1/stats`)).json()) as Stats;
    const before = await stats();
    const r = await runWorkload({ url: s.url, requests, concurrency: 32 });
    if (r.errors) throw new Error(`memory workload failed: ${r.firstError}`);
    const after = await stats();
    return { rssBeforeMb: before.process.rss_bytes / MB, rssAfterMb: after.process.rss_bytes / MB, l1Mb: after.l1_used_bytes / MB, l2PendingMb: (after.pending_l2_writes * 64 * 1024) / MB, requests: r.requests };
  } finally {
    s.child.kill('SIGTERM');
    await s.exited;
  }
}

export async function run(): Promise<BenchSection[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-bench-'));
  const servers: Server[] = [];
  try {
    const off = await startServer(['--traces-dir', dir]);
    servers.push(off);
    const on = await startServer(['--traces-dir', dir, '--trace-level', 'storage', '--trace-output', 'bench.lct']);
    servers.push(on);
    const results = [];
    for (const c of CASES) results.push({ c, modes: await measure(c, { off: off.url, on: on.url }) });
    // Records written vs calls made, from the server's own counters; the trace is read after a clean close.
    const stats = (await (await fetch(`${on.url}/v1/stats`)).json()) as Record<string, unknown> & { tracing: { dropped: number } };
    const calls = Object.entries(stats)
      .filter(([k]) => k.startsWith('calls_'))
      .reduce((n, [, v]) => n + (v as number), 0);
    on.child.kill('SIGTERM');
    off.child.kill('SIGTERM');
    await Promise.all([on.exited, off.exited]);
    const { records, report } = await new TraceReader(fileStream(join(dir, 'bench.lct'))).readAll();
    const lost = calls - records.length;
    const mem = await memoryAfterLoad(dir, 8, 1200);
    const small = await memoryAfterLoad(dir, 0.25, 3000);

    const rows: string[][] = [];
    const ratios: number[] = [];
    for (const { c, modes } of results) {
      // Each round measures both modes back to back: the median of per-round ratios cancels drift.
      const ratio = median(modes.on.rates.map((x, i) => x / modes.off.rates[i]!));
      ratios.push(ratio);
      const lat = (m: Mode, p: 50 | 99) => median(m.latencies.map((r) => (p === 50 ? r.p50Ms : r.p99Ms))).toFixed(2);
      rows.push(
        [c.label, 'off', median(modes.off.rates).toFixed(0), lat(modes.off, 50), lat(modes.off, 99), ''],
        [c.label, 'on', median(modes.on.rates).toFixed(0), lat(modes.on, 50), lat(modes.on, 99), ratio.toFixed(3)],
      );
    }
    return [
      {
        title: `server: store+retrieve workload, tracing off vs on (two server processes, alternating rounds, concurrency ${CONCURRENCY}, L2 off)`,
        head: ['workload', 'tracing', 'req/s', 'p50 ms', 'p99 ms', 'on/off'],
        rows,
        json: {
          server_tracing_on_off_ratio: Number(ratios[0]!.toFixed(4)),
          server_tracing_on_off_ratio_small_chunks: Number(ratios[1]!.toFixed(4)),
          server_records_lost: lost,
        },
        notes: [
          `on/off is the median of per-round ratios (each round runs both servers back to back); req/s and latencies are medians over rounds; latency is per request (a retrieve then a store)`,
          `records written ${records.length} vs storage-manager calls made ${calls}: lost ${lost} (event bus dropped ${stats.tracing.dropped}); the trace ${report.truncated ? 'is TRUNCATED' : 'reads back clean'}`,
          `the required >= 0.9 applies to the default workload: ${ratios[0]! >= 0.9 ? 'met' : 'NOT met'}; the 4 KiB case is the worst case (recording ~100 bytes per key costs the same whatever the chunk size)`,
        ],
      },
      {
        title: `server memory: RSS after load at concurrency 32 (default 64 KiB chunks, tracing on, L2 on, --l2-max-pending-mb 256)`,
        head: ['L1', 'requests', 'RSS before MiB', 'RSS after MiB', 'L1 holds MiB', 'L2 queue MiB'],
        rows: [mem, small].map((m, i) => [i === 0 ? '8 GiB' : '0.25 GiB', String(m.requests), m.rssBeforeMb.toFixed(0), m.rssAfterMb.toFixed(0), m.l1Mb.toFixed(0), m.l2PendingMb.toFixed(0)]),
        json: {
          server_rss_mb_after_load: Number(mem.rssAfterMb.toFixed(1)),
          server_l1_mb_after_load: Number(mem.l1Mb.toFixed(1)),
          server_rss_mb_after_load_small_l1: Number(small.rssAfterMb.toFixed(1)),
        },
        notes: [
          `8 GiB L1: RSS above what L1 holds ${(mem.rssAfterMb - mem.l1Mb).toFixed(0)} MiB (the process itself ~${mem.rssBeforeMb.toFixed(0)} MiB, request garbage not yet collected; queued L2 writes share L1's buffers)`,
          `0.25 GiB L1: RSS above L1 ${(small.rssAfterMb - small.l1Mb).toFixed(0)} MiB: evicted objects wait in the L2 queue (up to --l2-max-pending-mb) plus the same overhead; more requests do not raise it`,
        ],
      },
    ];
  } finally {
    for (const s of servers) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().then(
    (sections) => console.log(JSON.stringify(sections, null, 2)),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
