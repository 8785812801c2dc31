import { formatTable } from '../format/table.ts';
import type { TextSink } from '../export/text-sink.ts';
import type { Cell, QueryResult } from './sql.ts';

export type SqlOutput = 'text' | 'json' | 'csv';

/** A terminal table of more rows than this is not read by anyone: the rest is counted, --csv/--json print all. */
export const MAX_TEXT_ROWS = 10_000;

const textCell = (v: Cell): string => (v === null ? 'NULL' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
/** RFC 4180, and an empty string quoted (`""`) so that it reads back apart from NULL (an empty field). */
const csvText = (s: string): string => (s === '' || /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const csvCell = (v: Cell): string => (v === null ? '' : typeof v === 'string' ? csvText(v) : typeof v === 'object' ? csvText(JSON.stringify(v)) : String(v));

/**
 * Writes a query result: a padded text table (numbers right-aligned), JSON lines (one object per
 * row, column names as keys) or CSV (a header row; NULL is an empty field, an empty string `""`).
 * JSON and CSV stream row batches through the sink; the table holds up to MAX_TEXT_ROWS rows.
 */
export async function writeResult(result: QueryResult, format: SqlOutput, sink: TextSink): Promise<number> {
  const { columns } = result;
  let rows = 0;
  if (format === 'csv') {
    await sink.write(columns.map(csvText).join(',') + '\r\n');
    for await (const batch of result.batches) {
      rows += batch.length;
      const wait = sink.write(batch.map((r) => r.map(csvCell).join(',') + '\r\n').join(''));
      if (wait) await wait;
    }
  } else if (format === 'json') {
    for await (const batch of result.batches) {
      rows += batch.length;
      const wait = sink.write(batch.map((r) => JSON.stringify(Object.fromEntries(columns.map((c, i) => [c, r[i] ?? null]))) + '\n').join(''));
      if (wait) await wait;
    }
  } else {
    const kept: Cell[][] = [];
    for await (const batch of result.batches) {
      rows += batch.length;
      for (const r of batch) if (kept.length < MAX_TEXT_ROWS) kept.push(r);
    }
    const numeric = columns.map((_, i) => kept.some((r) => typeof r[i] === 'number') && kept.every((r) => r[i] === null || typeof r[i] === 'number'));
    await sink.write(formatTable(columns, kept.map((r) => r.map(textCell)), { align: numeric.map((n) => (n ? 'r' : 'l')) }) + '\n');
    await sink.write(rows > kept.length ? `(${rows} rows; the first ${kept.length} shown: --csv or --json print all)\n` : `(${rows} row${rows === 1 ? '' : 's'})\n`);
  }
  await sink.flush();
  return rows;
}
