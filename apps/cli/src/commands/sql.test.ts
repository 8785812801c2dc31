import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LMCACHE_FIXTURES as FIXTURES } from '@kvtrace/trace/test-support';
import { captureRun } from '../test-support/capture-run.ts';
import { run as sql } from './sql.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-sqlcmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const trace = FIXTURES + 'workload-small.lct';
const Q = "SELECT method, count(*) AS n, NULL AS x, '' AS e, 'a,\"b' AS s FROM calls WHERE method LIKE 'reserve%' OR method LIKE 'finish_w%' GROUP BY ALL ORDER BY method";

describe('kvtrace sql', () => {
  it('prints a table, JSON lines or CSV; NULL and empty text stay apart', async () => {
    const text = await captureRun(sql, Q, trace);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toBe(
      ['method          n  x     e  s', '-------------  --  ----  -  ----', 'finish_write   70  NULL     a,"b', 'reserve_write  70  NULL     a,"b', '(2 rows)', ''].join('\n'),
    );
    const json = await captureRun(sql, Q, trace, '--json');
    expect(json.out).toBe('{"method":"finish_write","n":70,"x":null,"e":"","s":"a,\\"b"}\n{"method":"reserve_write","n":70,"x":null,"e":"","s":"a,\\"b"}\n');
    const csv = await captureRun(sql, Q, trace, '--csv');
    expect(csv.out).toBe('method,n,x,e,s\r\nfinish_write,70,,"","a,""b"\r\nreserve_write,70,,"","a,""b"\r\n');
    // The temporary database is gone.
    expect(readdirSync(tmpdir()).some((n) => n === `kvtrace-sql-${process.pid}`)).toBe(false);
  });

  it('a query error names the problem and the tables, exit 1', async () => {
    const r = await captureRun(sql, 'SELECT nope FROM calls', trace);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Referenced column "nope" not found/);
    expect(r.err).toMatch(/calls\(server, call, t_wall, t_mono, method, n_keys, external_request_id, args, frame_offset\)/);
    expect(r.err).toMatch(/call_keys\(server, call, position, chunk_hash, model_name, kv_rank, object_group_id, cache_salt\)/);
  });

  it('an unreadable trace stops before loading; usage errors exit 2', async () => {
    const bad = await captureRun(sql, 'SELECT 1', FIXTURES + 'bad-magic.lct');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad magic/);
    expect((await captureRun(sql)).code).toBe(2);
    expect((await captureRun(sql, 'SELECT 1')).err).toMatch(/no trace given/);
    expect((await captureRun(sql, 'SELECT 1', trace, '--json', '--csv')).err).toMatch(/cannot be used together/);
    const missing = await captureRun(sql, 'SELECT 1', '--db', join(dir, 'nope.duckdb'));
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.duckdb: no such file; give traces to load into it/);
    expect(existsSync(join(dir, 'nope.duckdb'))).toBe(false);
  });

  it('--db of a database without kvtrace tables is refused with the reason', async () => {
    const db = join(dir, 'plain.duckdb');
    expect((await captureRun(sql, 'CREATE TABLE x AS SELECT 1 AS a', trace, '--db', db)).code).toBe(0);
    const other = join(dir, 'other.duckdb');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    (await DuckDBInstance.create(other)).closeSync();
    const r = await captureRun(sql, 'SELECT 1', '--db', other);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds no kvtrace tables: give traces to load into it/);
    // The first database kept what the query made beside the traces.
    expect((await captureRun(sql, 'SELECT a FROM x', '--db', db, '--csv')).out).toBe('a\r\n1\r\n');
  });
});
