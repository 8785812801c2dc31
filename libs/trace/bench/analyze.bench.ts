/**
 * `npm run bench -- --only analyze` (issue 10): `kvtrace analyze FILE --json` on a 1M-call trace
 * (16 ObjectKeys a request) next to `kvtrace info FILE --json`, the CLI's plain reader scan of the
 * same file (every frame split and every argument checked, nothing analysed). Both are whole
 * processes (tsx start-up included, as a user runs them), rounds alternate so a busy moment hits
 * both, page cache warm. The ratio is what the request analysis costs over reading.
 */
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { CACHE } from '../../../e2e/support/paths.ts';
import { ensureBigTrace, type BigTraceSpec } from './big-trace.ts';
import { cli, loadAvg, median, timed, type Timed } from './process-time.ts';

const RUNS = 3;

const ANALYZE_TRACE: BigTraceSpec = {
  stem: 'analyze-1m',
  traffic: { seed: 1010, records: 1_000_000, keysPerCall: 16, concurrency: 8, documents: 256, models: ['llama-3-8b', 'qwen-2-7b'] },
};

interface AnalyzeJson {
  calls: number;
  requests: { total: number; with_hits: number; all_miss: number };
  lifecycles: Record<string, number>;
}

export async function run(): Promise<BenchSection[]> {
  const trace = ensureBigTrace(`${CACHE}/bench`, ANALYZE_TRACE);
  const mb = trace.bytes / 1e6;
  const loadBefore = loadAvg();
  timed('sh', ['-c', 'cat "$0" > /dev/null', trace.path]); // warms the page cache
  const info: Timed[] = [];
  const analyze: Timed[] = [];
  let report: AnalyzeJson | null = null;
  for (let i = 0; i < RUNS; i++) {
    const s = cli(['info', trace.path, '--json']);
    const facts = JSON.parse(s.stdout) as { records: number; ok: boolean };
    if (!facts.ok || facts.records !== trace.records) throw new Error(`kvtrace info read ${facts.records} records, the file has ${trace.records}`);
    info.push(s);
    const a = cli(['analyze', trace.path, '--json']);
    report = JSON.parse(a.stdout) as AnalyzeJson;
    if (report.calls !== trace.records) throw new Error(`kvtrace analyze counted ${report.calls} calls, the file has ${trace.records}`);
    analyze.push(a);
  }
  const loadAfter = loadAvg();
  const infoMs = median(info.map((r) => r.ms));
  const analyzeMs = median(analyze.map((r) => r.ms));
  const infoCpu = median(info.map((r) => r.cpuMs));
  const analyzeCpu = median(analyze.map((r) => r.cpuMs));
  const rss = (rs: Timed[]) => median(rs.map((r) => r.maxRssKb)) / 1024;
  const ratio = analyzeMs / infoMs;
  const r = report!;
  return [
    {
      title: `kvtrace analyze: ${(trace.records / 1e6).toFixed(1)}M calls x 16 ObjectKeys, ${(mb / 1000).toFixed(2)} GB (medians of ${RUNS}, page cache warm)`,
      head: ['command (whole process)', 'wall', 'CPU (user + sys)', 'peak RSS'],
      rows: [
        ['kvtrace info FILE --json (reader scan)', `${infoMs.toFixed(0)} ms`, `${infoCpu.toFixed(0)} ms`, `${rss(info).toFixed(0)} MiB`],
        ['kvtrace analyze FILE --json', `${analyzeMs.toFixed(0)} ms`, `${analyzeCpu.toFixed(0)} ms`, `${rss(analyze).toFixed(0)} MiB`],
        ['analyze / scan', `${ratio.toFixed(2)}x`, `${(analyzeCpu / infoCpu).toFixed(2)}x`, ''],
      ],
      json: {
        analyze_1m_ms: Math.round(analyzeMs),
        analyze_scan_1m_ms: Math.round(infoMs),
        analyze_vs_scan_ratio: Number(ratio.toFixed(3)),
        analyze_cpu_vs_scan_ratio: Number((analyzeCpu / infoCpu).toFixed(3)),
        analyze_1m_peak_rss_mib: Math.round(rss(analyze)),
      },
      notes: [
        trace.generatedMs === null ? `reused ${trace.path}` : `generated ${trace.path} in ${(trace.generatedMs / 1000).toFixed(0)} s`,
        `analysis: ${r.requests.total} requests (${r.requests.with_hits} with hits, ${r.requests.all_miss} all miss); reads leaked ${r.lifecycles.reads_leaked}, undecided ${r.lifecycles.reads_undecided}`,
        `machine load (/proc/loadavg 1/5/15 min): ${loadBefore} before, ${loadAfter} after; 2 cores shared`,
        `per run (wall): info ${info.map((x) => x.ms.toFixed(0)).join(', ')} ms; analyze ${analyze.map((x) => x.ms.toFixed(0)).join(', ')} ms`,
      ],
    },
  ];
}
