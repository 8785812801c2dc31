import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBTypeId, type Json } from '@duckdb/node-api';
import { readStagedCsv, sqlIdent, sqlString, type Duck } from './duck.ts';
import type { TraceSet } from './inputs.ts';
import { rowProducers } from './rows.ts';
import { stageTrace } from './stage.ts';
import { TABLES } from './tables.ts';
import { openTraceSet } from './trace-set.ts';

/** Which files a database was loaded from: a second run over the same files reuses it. */
const SOURCES = 'kvtrace_sources';

export interface LoadOptions {
  onProgress?: (bytesRead: number, records: number) => void;
}

export interface LoadedServer {
  server: string;
  records: number;
}

/**
 * The files of the trace sets as rows of kvtrace_sources: a change in any file (size, mtime, a
 * segment more or less) means the database no longer holds what the traces hold.
 */
function sourceRows(sets: readonly TraceSet[]): { server: string; path: string; size: number; mtime_ms: number }[] {
  return sets.flatMap((s) => s.segments.map((f) => ({ server: s.server, path: f.path, size: f.size, mtime_ms: Math.round(f.mtimeMs) })));
}

/** True when the database holds the tables loaded from exactly these files, unchanged since. */
export async function holdsTraces(duck: Duck, sets: readonly TraceSet[]): Promise<boolean> {
  if (!(await hasTables(duck))) return false;
  const got = (await (await duck.conn.runAndReadAll(`SELECT server, path, size, mtime_ms FROM ${SOURCES} ORDER BY server, path`)).getRowObjectsJS()) as Record<string, unknown>[];
  const want = sourceRows(sets).sort((a, b) => (a.server + '\0' + a.path < b.server + '\0' + b.path ? -1 : 1));
  return got.length === want.length && got.every((g, i) => g.server === want[i]!.server && g.path === want[i]!.path && Number(g.size) === want[i]!.size && Number(g.mtime_ms) === want[i]!.mtime_ms);
}

/** True when the database has kvtrace's tables (made by an earlier load). */
export async function hasTables(duck: Duck): Promise<boolean> {
  const names = [...TABLES.map((t) => t.name), SOURCES];
  const r = await duck.conn.runAndReadAll(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN (${names.map(sqlString).join(', ')})`);
  return Number(r.getRows()[0]![0]) === names.length;
}

/**
 * Loads traces into the database's `calls` and `call_keys` (replacing what was there), each with
 * `server` as its first column, in one transaction: a load that fails leaves the database as it
 * was. Records stream through CSV parts in `stagingDir` (stage.ts), so memory stays bounded;
 * DuckDB spills to its temp directory when the tables outgrow memory.
 */
export async function loadTraces(duck: Duck, sets: readonly TraceSet[], stagingDir: string, options: LoadOptions = {}): Promise<LoadedServer[]> {
  mkdirSync(stagingDir, { recursive: true });
  const out: LoadedServer[] = [];
  // One thread while loading (as parquet-export.ts: bounded buffers); queries get all of them back.
  await duck.conn.run('SET threads = 1');
  await duck.conn.run('BEGIN TRANSACTION');
  try {
    for (const t of TABLES)
      await duck.conn.run(`CREATE OR REPLACE TABLE ${sqlIdent(t.name)} (server VARCHAR, ${t.columns.map((c) => `${sqlIdent(c.name)} ${c.type}`).join(', ')})`);
    await duck.conn.run(`CREATE OR REPLACE TABLE ${SOURCES} (server VARCHAR, path VARCHAR, size BIGINT, mtime_ms BIGINT)`);
    let bytesBefore = 0;
    for (const set of sets) {
      const reader = openTraceSet(set, { decodeArgs: true });
      const r = await stageTrace(
        reader,
        rowProducers(),
        stagingDir,
        async (part) => {
          for (const t of TABLES) {
            const cols = t.columns.map((c) => sqlIdent(c.name)).join(', ');
            await duck.conn.run(`INSERT INTO ${sqlIdent(t.name)} SELECT ${sqlString(set.server)}, ${cols} FROM ${readStagedCsv(part.tables.get(t.name)!.path, t)}`);
          }
        },
        { onBatch: (n) => options.onProgress?.(bytesBefore + reader.totals.bytesRead, n) },
      );
      bytesBefore += set.bytes;
      out.push({ server: set.server, records: r.records });
    }
    for (const s of sourceRows(sets)) await duck.conn.run(`INSERT INTO ${SOURCES} VALUES (${sqlString(s.server)}, ${sqlString(s.path)}, ${s.size}, ${s.mtime_ms})`);
    await duck.conn.run('COMMIT');
  } catch (e) {
    await duck.conn.run('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    rmSync(stagingDir, { recursive: true, force: true });
    await duck.conn.run('RESET threads');
  }
  return out;
}

/** A cell as JSON: integers as numbers while exact (DuckDB's counts are BIGINT), else as text. */
export type Cell = Json;

export interface QueryResult {
  columns: string[];
  /** Batches of rows, as DuckDB produces them (a big result is never held whole). */
  batches: AsyncIterable<Cell[][]>;
}

const WIDE_INTEGERS = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);

/** Runs a query (several statements: the last one's result) and streams its rows. */
export async function runQuery(duck: Duck, sql: string): Promise<QueryResult> {
  const result = await duck.conn.stream(sql);
  const columns = result.deduplicatedColumnNames();
  const wide = columns.map((_, i) => WIDE_INTEGERS.has(result.columnTypeId(i)));
  async function* batches(): AsyncGenerator<Cell[][]> {
    for await (const rows of result.yieldRowsJson()) {
      for (const row of rows)
        for (let i = 0; i < row.length; i++) {
          const v = row[i];
          if (wide[i] && typeof v === 'string') {
            const n = Number(v);
            if (Number.isSafeInteger(n)) row[i] = n;
          }
        }
      yield rows as Cell[][];
    }
  }
  return { columns, batches: batches() };
}

/** A temporary database file (spills to disk instead of memory) and its cleanup. */
export function tempDatabase(dir: string): { path: string; remove(): void } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'kvtrace.duckdb');
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
