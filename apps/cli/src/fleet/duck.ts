import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { STAGE_QUOTE } from './rows.ts';
import type { TableSpec } from './tables.ts';

/** An embedded DuckDB database and one connection to it. */
export interface Duck {
  conn: DuckDBConnection;
  close(): void;
}

/**
 * Opens (or creates) a DuckDB database: a file, or `:memory:`. `tempDir` is where DuckDB spills
 * when a query needs more memory than it may take, so a big load or sort never holds all in RAM.
 */
export async function openDuck(path: string, options: { tempDir?: string; memoryLimit?: string } = {}): Promise<Duck> {
  const config: Record<string, string> = {};
  if (options.tempDir) config.temp_directory = options.tempDir;
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  const instance = await DuckDBInstance.create(path, config);
  const conn = await instance.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

/** An SQL string literal. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** An SQL identifier, quoted. */
export const sqlIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`;

/** A staged CSV part (rows.ts's quoting) as a relation with the table's column names and types (nothing guessed). */
export function readStagedCsv(path: string, table: TableSpec): string {
  const columns = table.columns.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(', ');
  // Lines hold a call's arguments as JSON: allow long ones (a 1000-key call is ~150 KB; 16 MB is
  // ~100k keys, and a longer line stops the export with DuckDB's error); the read buffer is per thread.
  return (
    `read_csv(${sqlString(path)}, header = false, delim = ',', quote = '${STAGE_QUOTE}', escape = '${STAGE_QUOTE}', auto_detect = false, ` +
    `allow_quoted_nulls = false, max_line_size = 16777216, buffer_size = 33554432, columns = {${columns}})`
  );
}

export const ROW_GROUP_ROWS = 128 * 1024;

/** COPY of a query to one Parquet file: zstd, row groups of about 128k rows, rows in order. */
export function copyToParquet(select: string, path: string, rowGroupRows = ROW_GROUP_ROWS): string {
  return `COPY (${select}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${rowGroupRows})`;
}
