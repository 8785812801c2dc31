/**
 * `npm run bench -- --only scale`: the CLI (`info`, and `analyze` once) on a production-size trace
 * (issue 12), next to a plain read of the same file in the same run. The file (2M calls, 16–32 keys, ~6.5 GB; big-trace.ts) is
 * generated once into the gitignored e2e/.cache/bench. Warm against warm (the page cache filled by
 * one read first) compares the CLI's work per byte with a memory copy; cold against cold (the file
 * evicted before each read) compares it with the disk, which is what "disk speed" means.
 */
import { spawnSync } from 'node:child_process';
import { openSync, readSync, closeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { CACHE } from '../../../e2e/support/paths.ts';
import { ensureBigTrace } from './big-trace.ts';
import { cli, loadAvg, median, timed, type Timed } from './process-time.ts';

const RUNS = 3;
/** Cold runs read the whole file from the disk each time (6.6 GB at 0.9-2.7 GB/s here); three, for a true median. */
const COLD_RUNS = 3;

/** A Node read loop into one 1 MiB buffer: the floor for any reader in this runtime. */
function nodeRead(path: string): number {
  const buf = new Uint8Array(1 << 20);
  const fd = openSync(path, 'r');
  const t0 = performance.now();
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
  return performance.now() - t0;
}

/**
 * Drops the file from the page cache (GNU dd's nocache: posix_fadvise DONTNEED over the whole
 * file), so the next read comes from the disk. Returns the bytes still cached after it (0 = cold).
 */
function evict(path: string): number {
  spawnSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
  return cachedBytes(path);
}

/** Bytes of the file in the page cache (fincore), to show the comparison was warm. */
function cachedBytes(path: string): number {
  const r = spawnSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

export async function run(): Promise<BenchSection[]> {
  const trace = ensureBigTrace(`${CACHE}/bench`);
  const mb = trace.bytes / 1e6;
  const loadBefore = loadAvg();
  const catToNull = () => timed('sh', ['-c', 'cat "$0" > /dev/null', trace.path]);
  catToNull(); // warms the page cache; not counted
  const cat: Timed[] = [];
  const node: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cat.push(catToNull());
    node.push(nodeRead(trace.path));
  }
  const cached = cachedBytes(trace.path);
  const info: Timed[] = [];
  const oneThread: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Side by side in each round: the default (one thread per core) and --threads 1.
    oneThread.push(cli(['info', trace.path, '--json', '--threads', '1']));
    const r = cli(['info', trace.path, '--json']);
    const s = JSON.parse(r.stdout) as { records: number; ok: boolean; malformed: number; truncated: unknown };
    if (!s.ok || s.records !== trace.records || s.malformed !== 0 || s.truncated !== null)
      throw new Error(`kvtrace info read ${s.records} records (ok ${s.ok}, malformed ${s.malformed}), the file has ${trace.records}`);
    info.push(r);
  }
  // kvtrace analyze streams the same file once (about 40 s here): its rate and its peak memory,
  // which must stay bounded however big the file is.
  const analyze = cli(['analyze', trace.path, '--json']);
  const analyzed = JSON.parse(analyze.stdout.trim().split('\n')[0]!) as { calls: number };
  if (analyzed.calls !== trace.records) throw new Error(`kvtrace analyze read ${analyzed.calls} calls, the file has ${trace.records}`);
  // Cold against cold: each read starts with the file evicted, so both wait on the disk. This is
  // the comparison a user with a trace fresh from production sees; warm is the CPU cost per byte.
  const coldCat: Timed[] = [];
  const coldInfo: Timed[] = [];
  const leftCached: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    leftCached.push(evict(trace.path));
    coldCat.push(catToNull());
    leftCached.push(evict(trace.path));
    coldInfo.push(cli(['info', trace.path, '--json']));
  }
  const loadAfter = loadAvg();
  const coldCatMs = median(coldCat.map((r) => r.ms));
  const coldInfoMs = median(coldInfo.map((r) => r.ms));
  const coldRatio = coldCatMs / coldInfoMs;
  const catMs = median(cat.map((r) => r.ms));
  const catCpuMs = median(cat.map((r) => r.cpuMs));
  const infoCpuMs = median(info.map((r) => r.cpuMs));
  const nodeMs = median(node);
  const infoMs = median(info.map((r) => r.ms));
  const oneMs = median(oneThread.map((r) => r.ms));
  const rate = (ms: number) => `${((mb / ms) * 1000).toFixed(0)} MB/s`;
  const ratio = catMs / infoMs;
  return [
    {
      title: `CLI at scale: ${(trace.records / 1e6).toFixed(1)}M calls x 16-32 ObjectKeys, ${(mb / 1000).toFixed(2)} GB (medians of ${RUNS}, page cache warm)`,
      head: ['measure', 'time', 'rate / note'],
      rows: [
        ['cat FILE > /dev/null', `${catMs.toFixed(0)} ms`, rate(catMs)],
        ['Node readSync loop, 1 MiB buffer', `${nodeMs.toFixed(0)} ms`, rate(nodeMs)],
        ['kvtrace info FILE --json (process start to exit)', `${infoMs.toFixed(0)} ms`, `${rate(infoMs)}, peak RSS ${(median(info.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MiB`],
        ['kvtrace info FILE --json --threads 1', `${oneMs.toFixed(0)} ms`, `${rate(oneMs)}, peak RSS ${(median(oneThread.map((r) => r.maxRssKb)) / 1024).toFixed(0)} MiB`],
        ['info: one thread per core vs one thread', `${(oneMs / infoMs).toFixed(2)}x faster`, `${availableParallelism()} cores`],
        ['info vs raw read (cat time / info time)', `${ratio.toFixed(3)}x`, '1 = disk speed'],
        ['CPU time (user + sys): cat / info', `${catCpuMs.toFixed(0)} / ${infoCpuMs.toFixed(0)} ms`, `info ${rate(infoCpuMs)} of CPU time`],
        ['kvtrace analyze FILE --json (warm, one run)', `${analyze.ms.toFixed(0)} ms`, `${rate(analyze.ms)}, peak RSS ${(analyze.maxRssKb / 1024).toFixed(0)} MiB for a ${(mb / 1000).toFixed(1)} GB file`],
        ['cold: cat FILE > /dev/null (file evicted first)', `${coldCatMs.toFixed(0)} ms`, `${rate(coldCatMs)}: the disk`],
        ['cold: kvtrace info FILE --json (file evicted first)', `${coldInfoMs.toFixed(0)} ms`, rate(coldInfoMs)],
        ['cold: info vs raw read (cat time / info time)', `${coldRatio.toFixed(3)}x`, '1 = disk speed'],
      ],
      json: {
        cli_info_mb_per_s: Math.round((mb / infoMs) * 1000),
        cli_info_vs_raw_read_ratio: Number(ratio.toFixed(3)),
        cli_raw_read_mb_per_s: Math.round((mb / catMs) * 1000),
        cli_info_cpu_mb_per_s: Math.round((mb / infoCpuMs) * 1000),
        cli_info_peak_rss_mib: Math.round(median(info.map((r) => r.maxRssKb)) / 1024),
        cli_info_one_thread_mb_per_s: Math.round((mb / oneMs) * 1000),
        cli_info_threads_speedup: Number((oneMs / infoMs).toFixed(2)),
        cli_analyze_mb_per_s: Math.round((mb / analyze.ms) * 1000),
        cli_analyze_peak_rss_mib: Math.round(analyze.maxRssKb / 1024),
        cli_info_cold_mb_per_s: Math.round((mb / coldInfoMs) * 1000),
        cli_disk_read_mb_per_s: Math.round((mb / coldCatMs) * 1000),
        cli_info_vs_cold_read_ratio: Number(coldRatio.toFixed(3)),
      },
      notes: [
        trace.generatedMs === null ? `reused ${trace.path}` : `generated ${trace.path} in ${(trace.generatedMs / 1000).toFixed(0)} s`,
        `calls by method: ${Object.entries(trace.summary.byMethod).map(([m, n]) => `${m} ${n}`).join(', ')}; ${(trace.bytes / trace.records).toFixed(0)} B a record`,
        `page cache held ${((cached / trace.bytes) * 100).toFixed(0)}% of the file after the raw reads`,
        `machine load (/proc/loadavg 1/5/15 min): ${loadBefore} before, ${loadAfter} after; 2 cores shared`,
        `per run (wall): cat ${cat.map((r) => r.ms.toFixed(0)).join(', ')} ms; info ${info.map((r) => r.ms.toFixed(0)).join(', ')} ms; info --threads 1 ${oneThread.map((r) => r.ms.toFixed(0)).join(', ')} ms; cold cat ${coldCat.map((r) => r.ms.toFixed(0)).join(', ')} ms; cold info ${coldInfo.map((r) => r.ms.toFixed(0)).join(', ')} ms`,
        `bytes of the file still cached after each eviction: ${leftCached.join(', ')} (0 = the read came from the disk)`,
      ],
    },
  ];
}

if (process.argv[1]?.endsWith('scale.bench.ts')) {
  const sections = await run();
  console.log(JSON.stringify(sections, null, 2));
}
