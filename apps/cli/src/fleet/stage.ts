import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { SegmentedTraceReader } from '@kvtrace/trace';
import { CsvLines, type RowProducer } from './rows.ts';

/** One part's rows of every table, as CSV files ready for DuckDB's `read_csv`. */
export interface StagedPart {
  index: number;
  /** Per table name: the CSV file and its row count. */
  tables: Map<string, { path: string; rows: number }>;
}

export interface StageOptions {
  /** Start a new part when the staged CSV passes this many characters (bounds memory and temporary disk). */
  partChars?: number;
  /** ... or when a part has this many calls. */
  partRecords?: number;
  /** Called after each batch of records. */
  onBatch?: (records: number) => void;
}

export interface StageResult {
  records: number;
  /** Rows per table over all parts. */
  rows: Map<string, number>;
  parts: number;
}

/** ~512 MB of CSV per part: a few 128k-row groups of workload calls, and two parts on disk at most. */
const PART_CHARS = 512 * 2 ** 20;
const PART_RECORDS = 1 << 20;

/**
 * Streams a trace into CSV parts in `dir`, handing each finished part to `onPart` (which writes it
 * to Parquet or a database) while the next part is being staged: DuckDB's threads convert one part
 * while this thread decodes the next. At most two parts exist at once, each deleted once `onPart`
 * is done with it, so memory is one batch of records and disk is two parts, whatever the trace's
 * size. A trace with no records still gives one (empty) part, so every table has a schema.
 */
export async function stageTrace(
  reader: SegmentedTraceReader,
  producers: readonly RowProducer[],
  dir: string,
  onPart: (part: StagedPart) => Promise<void>,
  options: StageOptions = {},
): Promise<StageResult> {
  const partChars = options.partChars ?? PART_CHARS;
  const partRecords = options.partRecords ?? PART_RECORDS;
  const lines = producers.map(() => new CsvLines());
  const total = new Map<string, number>(producers.map((p) => [p.table.name, 0]));
  let part: OpenPart | null = null;
  let opened = 0;
  let parts = 0;
  let records = 0;
  let pending: Promise<void> | null = null;

  const open = (): OpenPart => {
    const index = opened++;
    const files = producers.map((p) => {
      const path = join(dir, `${p.table.name}-${index}.csv`);
      return { table: p.table.name, path, fd: openSync(path, 'w'), rows: 0 };
    });
    return { index, files, chars: 0, records: 0 };
  };
  const flushLines = (p: OpenPart) => {
    lines.forEach((l, i) => {
      const f = p.files[i]!;
      f.rows += l.rows;
      p.chars += l.chars;
      total.set(f.table, total.get(f.table)! + l.rows);
      if (l.chars > 0) writeSync(f.fd, l.take());
      l.chars = 0;
      l.rows = 0;
    });
  };
  const cut = async (p: OpenPart) => {
    for (const f of p.files) closeSync(f.fd);
    const staged: StagedPart = { index: p.index, tables: new Map(p.files.map((f) => [f.table, { path: f.path, rows: f.rows }])) };
    if (pending) await pending;
    parts++;
    pending = onPart(staged).finally(() => {
      for (const f of p.files) rmSync(f.path, { force: true });
    });
    // Awaited at the next cut or at the end; until then a failure must not be "unhandled".
    pending.catch(() => undefined);
  };

  try {
    part = open();
    for await (const batch of reader.batches()) {
      for (const rec of batch) for (let i = 0; i < producers.length; i++) producers[i]!.record(rec, lines[i]!);
      records += batch.length;
      part.records += batch.length;
      flushLines(part);
      if (part.chars >= partChars || part.records >= partRecords) {
        await cut(part);
        part = open();
      }
      options.onBatch?.(records);
    }
    producers.forEach((p, i) => p.end(lines[i]!));
    flushLines(part);
    if (part.records > 0 || part.index === 0 || part.files.some((f) => f.rows > 0)) await cut(part);
    else dropFiles(part.files);
    part = null;
    if (pending) await pending;
  } finally {
    if (part) dropFiles(part.files);
    if (pending) await (pending as Promise<void>).catch(() => undefined);
  }
  return { records, rows: total, parts };
}

interface OpenPart {
  index: number;
  files: { table: string; path: string; fd: number; rows: number }[];
  chars: number;
  records: number;
}

/** Closes and deletes staged files that will not be used (nothing was written to them, or the export failed). */
function dropFiles(files: readonly { fd: number; path: string }[]): void {
  for (const f of files) {
    closeSync(f.fd);
    rmSync(f.path, { force: true });
  }
}
