import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { OutputClosedError, TextSink } from '../export/text-sink.ts';
import { openDuck, type Duck } from '../fleet/duck.ts';
import { readableTraceSets, type TraceSet } from '../fleet/inputs.ts';
import { Progress } from '../fleet/progress.ts';
import { hasTables, holdsTraces, loadTraces, runQuery, tempDatabase } from '../fleet/sql.ts';
import { writeResult, type SqlOutput } from '../fleet/sql-output.ts';
import { TABLES } from '../fleet/tables.ts';
import { removeStaleWorkDirs, workDirName } from '../fleet/stale.ts';
import { complaints } from './complaints.ts';

const SQL_TEMP_PREFIX = 'kvtrace-sql-';
const SQL_STAGING_PREFIX = '.kvtrace-sql-staging-';

export const summary = 'run SQL (embedded DuckDB) over traces: tables calls, call_keys and requests';

const TABLE_LIST = TABLES.map((t) => `  ${t.name}(server, ${t.columns.map((c) => c.name).join(', ')})`).join('\n');

const HELP = `usage: npm run kvtrace -- sql "QUERY" TRACE... [--db FILE] [--json | --csv]
       npm run kvtrace -- sql "QUERY" --db FILE

Loads traces (files, folders, patterns; rotated segments read as one trace; several traces are
told apart by server) into an embedded DuckDB database and runs QUERY on it. Tables:
${TABLE_LIST}
call_keys has one row per ObjectKey of a call, position = its place in the call's key list.
requests has one row per request (status, hits and phase times decided as kvtrace analyze does).
Ready queries for common questions are in the README ("Questions as SQL").

options:
  --db FILE    keep the database in FILE: a later run with the same traces (unchanged) or with
               no traces at all queries it without loading again
  --json       one JSON object per row
  --csv        CSV with a header row (NULL is an empty field)
  -h, --help   this text
Without --json or --csv the result is a table (up to 10,000 rows shown; the rest counted).
Exit status: 0 on success, 1 for a query error or an unreadable trace, 2 for bad usage.`;
const { fail, usageError } = complaints('sql', HELP);

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { db: { type: 'string' }, json: { type: 'boolean' }, csv: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const [query, ...inputs] = positionals;
  if (!query || query.trim() === '') return usageError('no query given');
  if (values.json && values.csv) return usageError('--json and --csv cannot be used together');
  if (inputs.length === 0 && !values.db) return usageError('no trace given (or --db FILE of an earlier run)');
  if (values.db && inputs.length === 0 && !existsSync(values.db)) return usageError(`--db ${values.db}: no such file; give traces to load into it`);
  const format: SqlOutput = values.json ? 'json' : values.csv ? 'csv' : 'text';

  let sets: TraceSet[] = [];
  if (inputs.length > 0) {
    const readable = await readableTraceSets(inputs, (w) => process.stderr.write(`kvtrace sql: ${w}\n`));
    if (readable.error !== null) return fail(readable.error);
    sets = readable.sets;
  }

  // Folders of earlier runs that were killed before they cleaned up (their process is gone).
  removeStaleWorkDirs(tmpdir(), SQL_TEMP_PREFIX);
  if (values.db) removeStaleWorkDirs(dirname(resolve(values.db)), SQL_STAGING_PREFIX);
  const temp = values.db ? null : tempDatabase(join(tmpdir(), workDirName(SQL_TEMP_PREFIX)));
  const dbPath = values.db ?? temp!.path;
  const cleanup = () => temp?.remove();
  const onSignal = (signal: NodeJS.Signals) => {
    cleanup();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let duck: Duck | null = null;
  try {
    try {
      duck = await openDuck(dbPath);
    } catch (e) {
      return fail(`cannot open the database ${dbPath}: ${(e as Error).message}`);
    }
    if (sets.length > 0) {
      if (values.db && (await holdsTraces(duck, sets))) process.stderr.write(`kvtrace sql: ${values.db} already holds these traces (unchanged): not loading again\n`);
      else {
        const total = sets.reduce((n, s) => n + s.bytes, 0);
        const bar = new Progress('loading', total);
        let loaded;
        try {
          loaded = await loadTraces(duck, sets, join(values.db ? dirname(resolve(values.db)) : dirname(dbPath), workDirName(SQL_STAGING_PREFIX)), {
            onProgress: (bytes, records) => bar.update(bytes, `${records.toLocaleString('en-US')} records`),
          });
        } catch (e) {
          bar.clear();
          return fail(`loading the traces failed: ${(e as Error).message}${values.db ? ` (${values.db} is as it was)` : ''}`);
        }
        bar.clear();
        process.stderr.write(`kvtrace sql: loaded ${loaded.map((l) => `${l.server} (${l.records} calls)`).join(', ')}${values.db ? ` into ${values.db}` : ''}\n`);
      }
    } else if (!(await hasTables(duck))) return fail(`${dbPath} holds no kvtrace tables: give traces to load into it`);

    let result;
    try {
      result = await runQuery(duck, query);
    } catch (e) {
      return fail(`${(e as Error).message}\ntables:\n${TABLE_LIST}`);
    }
    const sink = TextSink.toStdout();
    try {
      await writeResult(result, format, sink);
    } catch (e) {
      if (e instanceof OutputClosedError && e.brokenPipe) return 0;
      if (e instanceof OutputClosedError) return fail(`cannot write standard output: ${String(e.reason)}`);
      return fail((e as Error).message);
    }
    return 0;
  } finally {
    duck?.close();
    cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
