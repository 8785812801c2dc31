/**
 * `npm run bench -- --only fleet`: Parquet export and SQL on the bench's 1M-call file (4 ObjectKeys
 * per call, the inspector bench's `load-1m-4keys.lct`, generated once into e2e/.cache), each next
 * to its baseline in the same run:
 * - `kvtrace export --format parquet` (read, decode every argument, stage, DuckDB COPY) in MB/s of
 *   trace, against the plain reader scan (time + qualname) of the same file: the ratio is what counts;
 * - `SELECT method, count(*) ... GROUP BY method` over the exported dataset in a fresh DuckDB, median
 *   of 3 after a warm-up, against a bare `count(*)` of the same files.
 * Peak RSS during the export is sampled (the export must not grow with the trace).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { ensureTrace } from '../../../e2e/support/gen-traces.ts';
import { CACHE } from '../../../e2e/support/paths.ts';
import { openDuck, sqlString } from '../src/fleet/duck.ts';
import { expandTraceInputs } from '../src/fleet/inputs.ts';
import { exportParquet } from '../src/fleet/parquet-export.ts';
import { READ_CHUNK } from '../src/replay/read-chunk.ts';

const FILE = `${CACHE}/bench/load-1m-4keys.lct`;
const RECORDS = 1_000_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/** The plain reader scan the CLI does before any decoding: time + qualname of every record. */
async function scan(path: string): Promise<number> {
  const t = performance.now();
  let n = 0;
  for await (const b of new TraceReader(fileStream(path, { highWaterMark: READ_CHUNK })).batches()) for (const r of b) if (r.qualname.length > 0) n++;
  if (n !== RECORDS) throw new Error(`scan read ${n} of ${RECORDS} records`);
  return performance.now() - t;
}

export async function run(): Promise<BenchSection[]> {
  const gen = ensureTrace(FILE, { records: RECORDS, keys: 4 });
  const mb = statSync(FILE).size / 1e6;
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-bench-fleet-'));
  try {
    await scan(FILE); // warm-up: page cache and JIT for both sides
    const scanMs = median([await scan(FILE), await scan(FILE), await scan(FILE)]);

    const { sets } = await expandTraceInputs([FILE]);
    const out = join(dir, 'pq');
    let peakRss = process.memoryUsage().rss;
    const rssBefore = peakRss;
    const t = performance.now();
    const [res] = await exportParquet(sets, out, { onProgress: () => (peakRss = Math.max(peakRss, process.memoryUsage().rss)) });
    const exportMs = performance.now() - t;
    if (res!.records !== RECORDS) throw new Error(`export wrote ${res!.records} of ${RECORDS} calls`);
    const keyRows = res!.rows.get('call_keys')!;

    const duck = await openDuck(':memory:');
    const calls = sqlString(join(out, 'calls/**/*.parquet'));
    const time = async (sql: string) => {
      const t0 = performance.now();
      const rows = (await duck.conn.runAndReadAll(sql)).getRows();
      return { ms: performance.now() - t0, rows };
    };
    const byMethod = `SELECT method, count(*) FROM read_parquet(${calls}, hive_partitioning = true) GROUP BY method`;
    const bare = `SELECT count(*) FROM read_parquet(${calls}, hive_partitioning = true)`;
    let groups = 0;
    const sqlMs: number[] = [];
    const bareMs: number[] = [];
    try {
      await time(byMethod);
      for (let i = 0; i < 3; i++) {
        const r = await time(byMethod);
        groups = r.rows.length;
        if (r.rows.reduce((n, row) => n + Number(row[1]), 0) !== RECORDS) throw new Error('count by method lost calls');
        sqlMs.push(r.ms);
        bareMs.push((await time(bare)).ms);
      }
    } finally {
      duck.close();
    }
    const scanRate = mb / (scanMs / 1000);
    const exportRate = mb / (exportMs / 1000);
    return [
      {
        title: `Parquet export and SQL: ${fmt(RECORDS)} calls x 4 ObjectKeys (${fmt(mb)} MB; ${gen.generated ? 'generated' : 'reused'} ${FILE.split('/').pop()})`,
        head: ['case', 'ms', 'MB/s', 'ratio'],
        rows: [
          ['reader scan, time + qualname (baseline, median of 3)', fmt(scanMs), fmt(scanRate), '1.00'],
          [`export --format parquet (${fmt(RECORDS)} calls + ${fmt(keyRows)} call_keys rows, ${res!.parts} part(s))`, fmt(exportMs), fmt(exportRate), fmt(exportRate / scanRate, 3)],
          [`sql: count by method over the dataset (${groups} groups, median of 3)`, fmt(median(sqlMs)), '', ''],
          ['sql: bare count(*) of the same files (baseline)', fmt(median(bareMs)), '', ''],
        ],
        json: {
          parquet_export_mb_per_s: exportRate,
          parquet_export_vs_scan_ratio: exportRate / scanRate,
          parquet_export_peak_rss_mb: peakRss / 2 ** 20,
          sql_count_by_method_ms: median(sqlMs),
        },
        notes: [
          `peak RSS during the export ${fmt(peakRss / 2 ** 20)} MiB (before: ${fmt(rssBefore / 2 ** 20)} MiB); parts bound it, not the trace size`,
          'the export decodes every argument to JSON (the args column) on this thread while DuckDB converts the previous part on one thread of its own',
          'machine load matters: quote the ratio, and the load average of the run',
        ],
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
