import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryLayoutDesc, ObjectKey, smQualname } from '@kvtrace/trace';
import { openDuck, type Duck } from './duck.ts';
import { expandTraceInputs } from './inputs.ts';
import { exportParquet } from './parquet-export.ts';
import { READY_QUERIES } from './ready-queries.ts';
import { loadTraces, runQuery } from './sql.ts';
import { encodeCalls } from '../test-support/encode-calls.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-ready-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const README = fileURLToPath(new URL('../../../../README.md', import.meta.url));

const layout = new MemoryLayoutDesc([[4]], ['torch.float16']);
const key = (i: number, model = 'm') => new ObjectKey(new Uint8Array([i]), model, 0, 0, '');
const k = (...ids: number[]) => ids.map((i) => key(i));
const P = ['keys', 'layout_desc', 'extra_count', 'external_request_id'] as const;
const call = (t: number, method: string, keys: ObjectKey[]) =>
  method === 'submit_prefetch_task'
    ? { t, qualname: smQualname(method), names: P, args: [keys, layout, 0, `r${t}`] }
    : method === 'reserve_write'
      ? { t, qualname: smQualname(method), names: ['keys', 'layout_desc', 'mode'], args: [keys, layout, 'new'] }
      : { t, qualname: smQualname(method), names: ['keys'], args: [keys] };

/**
 * A trace with known answers (t_wall_start 1776340800.125, so all calls fall in one minute and
 * seconds .125 + t): keys 1-5 written; request A asks for 1-4 at t=1.0 and reads 1-3 at t=1.5;
 * request B asks for 1,2,5,6 at t=2.0 and reads 1,2 at t=2.25. Hits: 5 of 8; waits 0.5 s and
 * 0.25 s; keys written but never read: 4 and 5; hottest: 1 and 2 (2 reads each), then 3.
 */
const calls = [
  call(0.1, 'reserve_write', k(1, 2, 3, 4, 5)),
  call(0.2, 'finish_write', k(1, 2, 3, 4, 5)),
  call(1.0, 'submit_prefetch_task', k(1, 2, 3, 4)),
  call(1.5, 'read_prefetched_results.__enter__', k(1, 2, 3)),
  call(1.6, 'read_prefetched_results.__exit__', k(1, 2, 3)),
  call(2.0, 'submit_prefetch_task', k(1, 2, 5, 6)),
  call(2.25, 'read_prefetched_results.__enter__', k(1, 2)),
];

async function answer(duck: Duck, sql: string): Promise<unknown[][]> {
  const r = await runQuery(duck, sql);
  const rows: unknown[][] = [];
  for await (const b of r.batches) rows.push(...b);
  return rows;
}

describe('the README ready queries', () => {
  it('give the known answers on a trace made for them', async () => {
    const p = join(dir, 'known', 'known.lct');
    mkdirSync(join(dir, 'known'), { recursive: true });
    writeFileSync(p, encodeCalls(calls));
    const duck = await openDuck(join(dir, 'known.duckdb'));
    try {
      await loadTraces(duck, (await expandTraceInputs([p])).sets, join(dir, 'staging'));
      // The answers show timestamps: in UTC whatever this machine's zone.
      await duck.conn.run("SET TimeZone = 'UTC'");
      const got: unknown[][][] = [];
      for (const q of READY_QUERIES) got.push(await answer(duck, q.sql));
      const [hit, wait, neverRead, hottest, perSecond] = got;
      expect(hit).toEqual([['2026-04-16 12:00:00+00', 'm', 5, 8, 0.625]]);
      expect(wait).toEqual([['known', 2, 500]]);
      expect(neverRead).toEqual([['known', 'm', 2]]);
      expect(hottest!.map((r) => [r[0], r[2]])).toEqual([
        ['01', 2],
        ['02', 2],
        ['03', 1],
      ]);
      expect(perSecond).toEqual([
        ['2026-04-16 12:00:00+00', 'finish_write', 1],
        ['2026-04-16 12:00:00+00', 'reserve_write', 1],
        ['2026-04-16 12:00:01+00', 'read_prefetched_results.__enter__', 1],
        ['2026-04-16 12:00:01+00', 'read_prefetched_results.__exit__', 1],
        ['2026-04-16 12:00:01+00', 'submit_prefetch_task', 1],
        ['2026-04-16 12:00:02+00', 'read_prefetched_results.__enter__', 1],
        ['2026-04-16 12:00:02+00', 'submit_prefetch_task', 1],
      ]);
    } finally {
      duck.close();
    }
  });

  it("the README's DuckDB line reads an exported dataset (server from the folder names)", async () => {
    const p = join(dir, 'line', 'line.lct');
    mkdirSync(join(dir, 'line'), { recursive: true });
    writeFileSync(p, encodeCalls(calls));
    const pq = join(dir, 'line-pq');
    await exportParquet((await expandTraceInputs([p])).sets, pq);
    const readme = readFileSync(README, 'utf8');
    const line = /One line reads it in[\s\S]*?```sql\n(.*)\n```/.exec(readme)?.[1];
    expect(line).toMatch(/read_parquet\('pq\/calls\/\*\*\/\*\.parquet'/);
    const duck = await openDuck(':memory:');
    try {
      const rows = await answer(duck, line!.replaceAll("'pq/", `'${pq}/`).replace(/;$/, ' ORDER BY method;'));
      expect(rows).toEqual([
        ['line', 'finish_write', 1],
        ['line', 'read_prefetched_results.__enter__', 2],
        ['line', 'read_prefetched_results.__exit__', 1],
        ['line', 'reserve_write', 1],
        ['line', 'submit_prefetch_task', 2],
      ]);
    } finally {
      duck.close();
    }
  });

  it('are shown in the README word for word', () => {
    const readme = readFileSync(README, 'utf8');
    for (const q of READY_QUERIES) expect(readme, q.title).toContain(q.sql);
  });
});
