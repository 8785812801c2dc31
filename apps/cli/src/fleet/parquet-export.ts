import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentReport } from '@kvtrace/trace';
import { copyToParquet, openDuck, readStagedCsv, ROW_GROUP_ROWS } from './duck.ts';
import type { TraceSet } from './inputs.ts';
import { rowProducers } from './rows.ts';
import { stageTrace, type StageOptions } from './stage.ts';
import { TABLES } from './tables.ts';
import { openTraceSet } from './trace-set.ts';
import { removeStaleWorkDirs, workDirName } from './stale.ts';

const EXPORT_WORK_PREFIX = '.kvtrace-export-';

export interface ParquetExportOptions extends Pick<StageOptions, 'partChars' | 'partRecords'> {
  rowGroupRows?: number;
  /** Bytes of trace read so far (all traces), and records. */
  onProgress?: (bytesRead: number, records: number) => void;
}

export interface ServerExport {
  server: string;
  records: number;
  /** Rows per table. */
  rows: Map<string, number>;
  parts: number;
  /** What reading each segment found (damage is reported, not fatal). */
  segments: readonly SegmentReport[];
}

/** Where a table's partition of one server lives in the dataset. */
export const partitionDir = (outDir: string, table: string, server: string): string => join(outDir, table, `server=${server}`);

/**
 * Writes traces as a Hive-partitioned Parquet dataset: `OUT/<table>/server=NAME/part-K.parquet`
 * for every table of tables.ts. Records stream through CSV parts that DuckDB converts (stage.ts),
 * so memory and temporary disk stay bounded for any trace size. A server's partitions are built in
 * a staging folder inside OUT and moved into place when complete, replacing an older export of
 * that server; other servers' partitions in OUT are left as they are. Callers check each set's
 * `problem` first: a set that is not one readable trace throws when its bad segment is reached.
 */
export async function exportParquet(sets: readonly TraceSet[], outDir: string, options: ParquetExportOptions = {}): Promise<ServerExport[]> {
  // An export killed before it cleaned up left its folder: gone now, unless its process still runs.
  removeStaleWorkDirs(outDir, EXPORT_WORK_PREFIX);
  const staging = join(outDir, workDirName(EXPORT_WORK_PREFIX));
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const duck = await openDuck(':memory:', { tempDir: join(staging, 'duckdb-tmp'), memoryLimit: '512MB' });
  // One DuckDB thread: this thread (decoding) is the bottleneck and keeps one core busy, DuckDB the
  // other; more threads only add read buffers and out-of-order chunks held to keep rows in order
  // (measured on a 300k-call part: ~330 MB over the process with 1 thread, ~500 MB with 2, no faster).
  await duck.conn.run('SET threads = 1');
  const out: ServerExport[] = [];
  let bytesBefore = 0;
  try {
    for (const set of sets) {
      const reader = openTraceSet(set, { decodeArgs: true });
      for (const t of TABLES) mkdirSync(partitionDir(staging, t.name, set.server), { recursive: true });
      const result = await stageTrace(
        reader,
        rowProducers(),
        staging,
        async (part) => {
          for (const t of TABLES) {
            const csv = part.tables.get(t.name)!;
            const cols = t.columns.map((c) => c.name).join(', ');
            await duck.conn.run(copyToParquet(`SELECT ${cols} FROM ${readStagedCsv(csv.path, t)}`, join(partitionDir(staging, t.name, set.server), `part-${part.index}.parquet`), options.rowGroupRows ?? ROW_GROUP_ROWS));
          }
        },
        { partChars: options.partChars, partRecords: options.partRecords, onBatch: (n) => options.onProgress?.(bytesBefore + reader.totals.bytesRead, n) },
      );
      for (const t of TABLES) {
        const dest = partitionDir(outDir, t.name, set.server);
        mkdirSync(join(outDir, t.name), { recursive: true });
        rmSync(dest, { recursive: true, force: true });
        renameSync(partitionDir(staging, t.name, set.server), dest);
      }
      bytesBefore += set.bytes;
      out.push({ server: set.server, records: result.records, rows: result.rows, parts: result.parts, segments: reader.segments });
    }
  } finally {
    duck.close();
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}
