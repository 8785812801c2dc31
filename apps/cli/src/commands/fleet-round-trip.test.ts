/**
 * Issue 14's round trip: three real servers (in-process Fastify apps on loopback ports), each
 * tracing with rotation at a small size, each given workload traffic; then `kvtrace collect` from
 * all three, `kvtrace export --format parquet` and `kvtrace sql`, every count checked against
 * `kvtrace info` per trace and against what each recorder says it wrote. No timing assumptions:
 * every step waits for the previous one to finish.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '@kvtrace/server';
import { storageConfigFromFlags } from '@kvtrace/server/storage';
import { runWorkload } from '@kvtrace/server/workload';
import { captureRun } from '../test-support/capture-run.ts';
import { run as collect } from './collect.ts';
import { run as exportCmd } from './export.ts';
import { run as info } from './info.ts';
import { run as sql } from './sql.ts';

const SERVERS = 3;
const SEGMENT_BYTES = 48 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'kvtrace-fleet-'));
const out = join(dir, 'collected');
const pq = join(dir, 'parquet');

interface Server {
  app: FastifyInstance;
  url: string;
  name: string;
  tracesDir: string;
}
const servers: Server[] = [];

beforeAll(async () => {
  for (let i = 0; i < SERVERS; i++) {
    const tracesDir = join(dir, `server-${i}`, 'traces');
    const app = await buildApp({
      storage: storageConfigFromFlags({ 'l1-size-gb': '0.05', 'l2-dir': 'none' }),
      tracesDir,
      tracing: { path: join(tracesDir, 'trace.lct'), maxSegmentBytes: SEGMENT_BYTES },
      inspectorDist: join(dir, 'no-inspector'),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    servers.push({ app, url: `http://127.0.0.1:${port}`, name: `127.0.0.1-${port}`, tracesDir });
  }
  const results = await Promise.all(servers.map((s, i) => runWorkload({ url: s.url, requests: 30 + 10 * i, concurrency: 3, seed: 100 + i })));
  for (const r of results) expect(r.errors, r.firstError ?? '').toBe(0);
  // The recorders write behind the calls (a bus, a flush every 50 ms): wait until every call is in
  // its file, or a segment may rotate in between the collect and the comparison below.
  for (const s of servers) {
    await s.app.tracing!.bus.whenIdle();
    s.app.tracing!.recorder.flush();
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.app.close()));
  rmSync(dir, { recursive: true, force: true });
});

const jsonLines = (text: string) => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('collect -> export parquet -> sql, from three servers', () => {
  it('collects every server while it records: rotated segments complete, the live one as committed', async () => {
    const r = await captureRun(collect, '--from', servers.map((s) => s.url).join(','), '--out', out);
    expect(r.code, r.err).toBe(0);
    for (const s of servers) {
      const local = readdirSync(join(out, s.name)).filter((n) => n.endsWith('.lct')).sort();
      const remote = readdirSync(s.tracesDir).filter((n) => n.endsWith('.lct')).sort();
      // Rotation at 48 KiB made several segments on every server.
      expect(remote.length).toBeGreaterThan(2);
      expect(local).toEqual(remote);
      // Every segment but the live one is byte for byte the server's.
      const live = s.app.tracing!.sink.currentPath.split('/').pop();
      for (const n of remote.filter((x) => x !== live)) expect(readFileSync(join(out, s.name, n)).equals(readFileSync(join(s.tracesDir, n))), n).toBe(true);
    }
    expect(r.out).toMatch(/still recording \(fetched as committed so far\)/);
  });

  it('after the recordings close, a second collect fetches only what was missing (Range) and then matches the servers', async () => {
    for (const s of servers) s.app.tracing!.close();
    const r = await captureRun(collect, '--from', servers.map((s) => s.url).join(','), '--out', out);
    expect(r.code, r.err).toBe(0);
    for (const s of servers) {
      expect(r.out).toMatch(new RegExp(`${s.name.replace(/\./g, '\\.')} .*: 0 downloaded, [01] resumed, \\d+ up to date`));
      for (const n of readdirSync(s.tracesDir).filter((x) => x.endsWith('.lct'))) expect(readFileSync(join(out, s.name, n)).equals(readFileSync(join(s.tracesDir, n))), n).toBe(true);
    }
  });

  it('kvtrace info per server: one trace each (its segments as one), records equal to what the recorder wrote', async () => {
    const r = await captureRun(info, '--json', out);
    expect(r.code, r.err).toBe(0);
    const lines = jsonLines(r.out);
    const per = lines.filter((l) => 'server' in l && 'file' in l);
    expect(per.map((l) => l.server).sort()).toEqual(servers.map((s) => s.name).sort());
    for (const s of servers) {
      const l = per.find((x) => x.server === s.name)!;
      expect(l.records).toBe(s.app.tracing!.recorder.stats.recordsWritten);
      expect((l.segments as unknown[]).length).toBe(readdirSync(s.tracesDir).filter((n) => n.endsWith('.lct')).length);
      expect(l.truncated).toBeNull();
      expect(l.malformed).toBe(0);
    }
  });

  it('the Parquet dataset and kvtrace sql agree with kvtrace info per server and per method', async () => {
    const infoLines = jsonLines((await captureRun(info, '--json', out)).out).filter((l) => 'file' in l);
    const want = new Map(infoLines.map((l) => [l.server as string, l.by_qualname as Record<string, number>]));
    const ex = await captureRun(exportCmd, out, '--format', 'parquet', '--out', pq);
    expect(ex.code, ex.err).toBe(0);

    const db = join(dir, 'check.duckdb');
    const q = await captureRun(sql, 'SELECT server, method, count(*) AS n FROM calls GROUP BY ALL ORDER BY ALL', out, '--json', '--db', db);
    expect(q.code, q.err).toBe(0);
    const got = new Map<string, Record<string, number>>();
    for (const row of jsonLines(q.out)) {
      const m = got.get(row.server as string) ?? {};
      m[`lmcache.v1.distributed.storage_manager.StorageManager.${row.method as string}`] = row.n as number;
      got.set(row.server as string, m);
    }
    expect(got).toEqual(want);

    // The dataset through DuckDB's own Parquet reader (kvtrace sql can read any file DuckDB reads).
    const viaParquet = await captureRun(sql, `SELECT server, count(*) AS n, sum(n_keys) AS keys FROM read_parquet('${pq}/calls/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`, '--db', db, '--json');
    const keyRows = await captureRun(sql, `SELECT server, count(*) AS n FROM read_parquet('${pq}/call_keys/**/*.parquet', hive_partitioning = true) GROUP BY ALL ORDER BY ALL`, '--db', db, '--json');
    const calls = jsonLines(viaParquet.out);
    const keys = jsonLines(keyRows.out);
    expect(calls.map((r) => [r.server, r.n])).toEqual([...want].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, m]) => [s, Object.values(m).reduce((x, y) => x + y, 0)]));
    expect(keys.map((r) => r.n)).toEqual(calls.map((r) => r.keys));
    expect(calls.every((r) => (r.keys as number) > 0)).toBe(true);

    // An independent reader of the files, when this machine has one (pyarrow or duckdb for Python).
    const py = pythonCounts(pq);
    if (py === null) console.log('fleet round trip: python3 has neither pyarrow nor duckdb: the independent Parquet check was not run');
    else {
      expect(py.calls).toEqual(Object.fromEntries(calls.map((r) => [r.server, r.n])));
      expect(py.call_keys).toEqual(Object.fromEntries(keys.map((r) => [r.server, r.n])));
      expect(py.columns).toEqual(['call', 't_wall', 't_mono', 'method', 'n_keys', 'external_request_id', 'args', 'frame_offset', 'server']);
    }
  });

  it('sql --db keeps the database: a second run with no traces queries it without loading', async () => {
    const db = join(dir, 'fleet.duckdb');
    const first = await captureRun(sql, 'SELECT count(*) AS n FROM calls', out, '--db', db, '--csv');
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(/loaded .* into /);
    const again = await captureRun(sql, 'SELECT count(*) AS n FROM calls', '--db', db, '--csv');
    expect(again.code, again.err).toBe(0);
    expect(again.err).toBe('');
    expect(again.out).toBe(first.out);
    const same = await captureRun(sql, 'SELECT count(*) AS n FROM calls', out, '--db', db, '--csv');
    expect(same.err).toMatch(/already holds these traces \(unchanged\): not loading again/);
    const total = servers.reduce((n, s) => n + s.app.tracing!.recorder.stats.recordsWritten, 0);
    expect(first.out).toBe(`n\r\n${total}\r\n`);
  });

  it('export of all three as JSON lines merges them on the wall clock, every record once', async () => {
    const file = join(dir, 'all.jsonl');
    const r = await captureRun(exportCmd, out, '--format', 'jsonl', '-o', file);
    expect(r.code, r.err).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t_mono: number });
    expect(lines.length).toBe(servers.reduce((n, s) => n + s.app.tracing!.recorder.stats.recordsWritten, 0));
    expect(r.err).toMatch(/3 traces \(.*\) merged on the wall clock/);
  });
});

/** Row counts per server and the column names, read by pyarrow (else duckdb) in Python; null when neither is there. */
function pythonCounts(dataset: string): { calls: Record<string, number>; call_keys: Record<string, number>; columns: string[] } | null {
  const script = `
import json, sys
root = sys.argv[1]
try:
    import pyarrow.dataset as ds
    out = {}
    for t in ("calls", "call_keys"):
        d = ds.dataset(f"{root}/{t}", format="parquet", partitioning="hive")
        tab = d.to_table()
        counts = {}
        for s in tab.column("server").to_pylist():
            counts[s] = counts.get(s, 0) + 1
        out[t] = counts
        if t == "calls":
            out["columns"] = tab.schema.names
except ImportError:
    import duckdb
    out = {}
    for t in ("calls", "call_keys"):
        rel = duckdb.sql(f"SELECT * FROM read_parquet('{root}/{t}/**/*.parquet', hive_partitioning = true)")
        out[t] = dict(duckdb.sql(f"SELECT server, count(*) FROM read_parquet('{root}/{t}/**/*.parquet', hive_partitioning = true) GROUP BY ALL").fetchall())
        if t == "calls":
            out["columns"] = rel.columns
print(json.dumps(out))
`;
  const probe = spawnSync('python3', ['-c', 'import importlib.util as u, sys; sys.exit(0 if (u.find_spec("pyarrow") or u.find_spec("duckdb")) else 1)']);
  if (probe.status !== 0) return null;
  const r = spawnSync('python3', ['-c', script, dataset], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 could not read the dataset: ${r.stderr}`);
  return JSON.parse(r.stdout) as { calls: Record<string, number>; call_keys: Record<string, number>; columns: string[] };
}
