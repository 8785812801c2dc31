import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDuck, type Duck } from './duck.ts';
import { expandTraceInputs } from './inputs.ts';
import { hasTables, holdsTraces, loadTraces, runQuery } from './sql.ts';
import { summarizeSet } from './summarize.ts';
import { analyzeSet } from '../analyze/analyze-set.ts';
import { changedHeader, fixtureBytes as fixture, withHeader, writeSegments } from '@kvtrace/trace/test-support';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-sql-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rows(duck: Duck, sql: string) {
  const r = await runQuery(duck, sql);
  const out = [];
  for await (const b of r.batches) out.push(...b);
  return { columns: r.columns, rows: out };
}

describe('loadTraces and runQuery', () => {
  const src = join(dir, 'src');
  writeSegments(join(src, 'a'), 'w', fixture('workload-small.lct'), [150]);
  writeSegments(join(src, 'b'), 'u', fixture('unknown-tag.lct'), []);

  it('calls and call_keys hold every record of every trace, counted as kvtrace info counts them', async () => {
    const { sets } = await expandTraceInputs([src]);
    const duck = await openDuck(join(dir, 'one.duckdb'));
    try {
      expect(await hasTables(duck)).toBe(false);
      const loaded = await loadTraces(duck, sets, join(dir, 'staging'));
      expect(loaded).toEqual([
        { server: 'u', records: 60 },
        { server: 'w', records: 300 },
      ]);
      const byMethod = await rows(duck, 'SELECT server, method, count(*) AS n FROM calls GROUP BY ALL ORDER BY ALL');
      expect(byMethod.columns).toEqual(['server', 'method', 'n']);
      for (const set of sets) {
        const info = await summarizeSet(set);
        const got = Object.fromEntries(byMethod.rows.filter((r) => r[0] === set.server).map((r) => [r[1], r[2]]));
        const want = Object.fromEntries(Object.entries(info.by_qualname).map(([q, n]) => [q.split('StorageManager.')[1], n]));
        expect(got, set.server).toEqual(want);
      }
      // Counts are numbers (BIGINT converted while exact); every call's keys are in call_keys.
      const [[keys, nKeys]] = (await rows(duck, 'SELECT (SELECT count(*) FROM call_keys), (SELECT sum(n_keys) FROM calls)')).rows as [[number, number]];
      expect(typeof keys).toBe('number');
      expect(keys).toBe(nKeys);
      expect(await holdsTraces(duck, sets)).toBe(true);
      // requests: one row per request of the analysis `kvtrace analyze` and the inspector use.
      for (const set of sets) {
        const a = (await analyzeSet(set)).analyzer.summary();
        const [[reads, writes, found, leaked]] = (
          await rows(duck, `SELECT count(*) FILTER (WHERE kind = 'read'), count(*) FILTER (WHERE kind = 'write'), count(*) FILTER (WHERE kind = 'read' AND found > 0), count(*) FILTER (WHERE status = 'leaked') FROM requests WHERE server = '${set.server}'`)
        ).rows as [[number, number, number, number]];
        expect([reads, writes, found, leaked], set.server).toEqual([a.requests.total, a.requests.writes, a.requests.with_hits, a.requests.leaked]);
      }
      const [[p99]] = (await rows(duck, `SELECT quantile_disc(wait_ms, 0.99) FROM requests WHERE server = 'w'`)).rows as [[number]];
      const w = (await analyzeSet(sets.find((x) => x.server === 'w')!)).analyzer.summary();
      expect(p99).toBeCloseTo(w.phases.read_wait.p99 * 1000, 6);
    } finally {
      duck.close();
    }
  });

  it('a database knows which files it holds: a changed or added file means loading again', async () => {
    const extra = join(dir, 'src2');
    writeSegments(join(extra, 'c'), 'v', fixture('v1.lct'), []);
    const db = join(dir, 'two.duckdb');
    let duck = await openDuck(db);
    await loadTraces(duck, (await expandTraceInputs([src])).sets, join(dir, 'staging'));
    duck.close();
    duck = await openDuck(db);
    try {
      expect(await holdsTraces(duck, (await expandTraceInputs([src])).sets)).toBe(true);
      expect(await holdsTraces(duck, (await expandTraceInputs([src, extra])).sets)).toBe(false);
      await loadTraces(duck, (await expandTraceInputs([extra])).sets, join(dir, 'staging'));
      expect(await holdsTraces(duck, (await expandTraceInputs([extra])).sets)).toBe(true);
      const p = join(extra, 'c', 'v.lct');
      writeFileSync(p, readFileSync(p).subarray(0, 1000));
      expect(await holdsTraces(duck, (await expandTraceInputs([extra])).sets)).toBe(false);
    } finally {
      duck.close();
    }
  });

  it('a load that fails half-way leaves the database as it was', async () => {
    const db = join(dir, 'three.duckdb');
    const duck = await openDuck(db);
    try {
      await loadTraces(duck, (await expandTraceInputs([join(src, 'b')])).sets, join(dir, 'staging'));
      const bad = join(dir, 'bad');
      const bytes = fixture('workload-small.lct');
      const p = writeSegments(bad, 'x', bytes, [100]);
      writeFileSync(p[1]!, withHeader(readFileSync(p[1]!), changedHeader(bytes, { level: 'events' })));
      const { sets } = await expandTraceInputs([bad]);
      expect(sets[0]!.problem).toMatch(/level "events" differs/);
      await expect(loadTraces(duck, sets, join(dir, 'staging'))).rejects.toThrow(/x\.000001\.lct: level "events" differs from "storage" in x\.lct/);
      expect((await rows(duck, 'SELECT server, count(*) FROM calls GROUP BY ALL')).rows).toEqual([['u', 60]]);
    } finally {
      duck.close();
    }
  });

  it('runs several statements (the last one answers); an error names the problem', async () => {
    const duck = await openDuck(':memory:');
    try {
      expect((await rows(duck, 'CREATE TABLE t AS SELECT 1 AS a; SELECT a + 1 AS b, 2::HUGEINT AS h, 2e20::HUGEINT AS big, NULL AS n FROM t')).rows).toEqual([[2, 2, '200000000000000000000', null]]);
      await expect(runQuery(duck, 'SELECT nope FROM calls')).rejects.toThrow(/Table with name calls does not exist/);
    } finally {
      duck.close();
    }
  });
});
