import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argsToJson, MemoryLayoutDesc, ObjectKey, PrefetchRequestSpec, smQualname, Tuple } from '@kvtrace/trace';
import { openDuck, sqlString } from './duck.ts';
import { expandTraceInputs, type TraceSet } from './inputs.ts';
import { exportParquet } from './parquet-export.ts';
import { keyListOf, methodOf } from './rows.ts';
import { COLLECT_MARKER } from './server-name.ts';
import { fixtureBytes as fixture, writeSegments } from '@kvtrace/trace/test-support';
import { encodeCalls } from '../test-support/encode-calls.ts';
import { openTraceSet } from './trace-set.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What the Parquet rows must be: computed from the reader, independently of rows.ts's CSV. */
async function expectedRows(set: TraceSet) {
  const calls: unknown[][] = [];
  const keys: unknown[][] = [];
  for await (const b of openTraceSet(set, { decodeArgs: true }).batches())
    for (const r of b) {
      const args = r.args();
      const list = keyListOf(args);
      const erid = args.external_request_id;
      calls.push([set.server, r.index, r.t_wall, r.t_mono, methodOf(r.qualname), list.filter((k) => k instanceof ObjectKey).length, typeof erid === 'string' && erid !== '' ? erid : null, JSON.stringify(argsToJson(args)), r.offset]);
      list.forEach((k, i) => {
        if (k instanceof ObjectKey) keys.push([set.server, r.index, i, k.hashHex, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt]);
      });
    }
  return { calls, keys };
}

/** The dataset read back by DuckDB the way a user would (hive partitioning from the folder names). */
async function readBack(out: string) {
  const duck = await openDuck(':memory:');
  try {
    const read = async (sql: string) => (await duck.conn.runAndReadAll(sql)).getRowsJS().map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
    const calls = await read(
      `SELECT server, call, t_wall, t_mono, method, n_keys, external_request_id, args, frame_offset FROM read_parquet(${sqlString(join(out, 'calls/**/*.parquet'))}, hive_partitioning = true) ORDER BY server, call`,
    );
    const keys = await read(
      `SELECT server, call, position, chunk_hash, model_name, kv_rank, object_group_id, cache_salt FROM read_parquet(${sqlString(join(out, 'call_keys/**/*.parquet'))}, hive_partitioning = true) ORDER BY server, call, position`,
    );
    const meta = await read(
      `SELECT file_name, row_group_id, row_group_num_rows, compression FROM parquet_metadata(${sqlString(join(out, '*/**/*.parquet'))}) WHERE column_id = 0 ORDER BY file_name, row_group_id`,
    );
    const columns = await read(`SELECT name FROM parquet_schema(${sqlString(join(out, 'calls/**/part-0.parquet'))}) WHERE name <> 'duckdb_schema' GROUP BY name, column_id ORDER BY min(column_id)`);
    return { calls, keys, meta, columns: [...new Set(columns.map((r) => r[0]))] };
  } finally {
    duck.close();
  }
}

describe('exportParquet', () => {
  it('every record and key of several traces (one rotated) round-trips exactly; parts of bounded size; zstd row groups', async () => {
    const src = join(dir, 'src');
    writeSegments(join(src, 'alpha'), 'trace', fixture('workload-small.lct'), [97, 201]);
    writeSegments(join(src, 'beta'), 'trace', fixture('unknown-tag.lct'), []);
    for (const s of ['alpha', 'beta']) writeFileSync(join(src, s, COLLECT_MARKER), '{}');
    const { sets } = await expandTraceInputs([src]);
    const out = join(dir, 'out');
    const result = await exportParquet(sets, out, { partRecords: 64 });

    expect(result.map((r) => [r.server, r.records, r.parts])).toEqual([
      ['alpha', 300, 5],
      ['beta', 60, 1],
    ]);
    const back = await readBack(out);
    expect(back.columns).toEqual(['call', 't_wall', 't_mono', 'method', 'n_keys', 'external_request_id', 'args', 'frame_offset']);
    const want = await Promise.all(sets.map(expectedRows));
    expect(back.calls).toEqual(want.flatMap((w) => w.calls));
    expect(back.keys).toEqual(want.flatMap((w) => w.keys));
    expect(result[0]!.rows.get('call_keys')).toBe(want[0]!.keys.length);
    expect(readdirSync(join(out, 'calls', 'server=alpha')).sort()).toEqual(['part-0.parquet', 'part-1.parquet', 'part-2.parquet', 'part-3.parquet', 'part-4.parquet']);
    // Row groups of at most rowGroupRows, zstd throughout.
    expect(back.meta.every((m) => m[3] === 'ZSTD')).toBe(true);
    // No staging left behind.
    expect(readdirSync(out).sort()).toEqual(['call_keys', 'calls', 'requests']);
  });

  it('row groups hold rowGroupRows rows (DuckDB counts in vectors of 2048; the default is 128k)', async () => {
    const out = join(dir, 'groups');
    await exportParquet((await expandTraceInputs([fixtureFile('workload-small.lct')])).sets, out, { rowGroupRows: 2048 });
    const { meta, keys } = await readBack(out);
    const groups = meta.filter((m) => String(m[0]).includes('call_keys')).map((m) => m[2]);
    expect(keys.length).toBeGreaterThan(3 * 2048);
    expect(groups).toEqual([2048, 2048, 2048, keys.length - 3 * 2048]);
  });

  it('a call with 20,000 keys (a CSV line of ~3 MB) comes through whole', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) => new ObjectKey(new Uint8Array([i >> 8, i & 255, 7, 7]), 'Qwen/Qwen2.5-7B-Instruct', 16777472, 0, ''));
    const p = join(dir, 'wide', 'wide.lct');
    mkdirSync(join(dir, 'wide'), { recursive: true });
    writeFileSync(p, encodeCalls([{ t: 0.001, qualname: smQualname('finish_write'), names: ['keys'], args: [many] }]));
    const out = join(dir, 'wide-out');
    await exportParquet((await expandTraceInputs([p])).sets, out);
    const back = await readBack(out);
    expect(back.calls.map((r) => [r[5], (r[7] as string).length > 2_000_000])).toEqual([[20_000, true]]);
    expect(back.keys.map((k) => k[3])).toEqual(many.map((k) => k.hashHex));
  });

  it('a server exported again replaces its partition; other servers stay', async () => {
    const out = join(dir, 'again');
    const a = join(dir, 'again-src', 'a.lct');
    const b = join(dir, 'again-src', 'b.lct');
    mkdirSync(join(dir, 'again-src'), { recursive: true });
    writeFileSync(a, fixture('workload-small.lct'));
    writeFileSync(b, fixture('v1.lct'));
    await exportParquet((await expandTraceInputs([a, b])).sets, out, { partRecords: 100 });
    expect(readdirSync(join(out, 'calls', 'server=a'))).toHaveLength(3);
    await exportParquet((await expandTraceInputs([a])).sets, out);
    expect(readdirSync(join(out, 'calls', 'server=a'))).toEqual(['part-0.parquet']);
    const back = await readBack(out);
    expect(back.calls.filter((r) => r[0] === 'a')).toHaveLength(300);
    expect(back.calls.filter((r) => r[0] === 'b')).toHaveLength(60);
  });

  it('a trace without records still has both tables, with their columns', async () => {
    const out = join(dir, 'empty');
    await exportParquet((await expandTraceInputs([fixtureFile('header-only.lct')])).sets, out);
    const back = await readBack(out);
    expect(back.calls).toEqual([]);
    expect(back.columns).toHaveLength(8);
    expect(existsSync(join(out, 'call_keys', 'server=header-only', 'part-0.parquet'))).toBe(true);
  });

  it('strings a CSV stage could break (quotes, commas, line breaks, NUL, empty, non-ASCII), spec-shaped keys, tuples', async () => {
    const layout = new MemoryLayoutDesc([[4]], ['torch.float16']);
    // \x01 is the staging quote (rows.ts): it must come back as itself too.
    const odd = ['a"b', 'c,d', 'line\nbreak\r\n', 'nul\0x', '', 'é模型🙂', '"', ',', '\x01', 'q\x01\x01,'];
    const keys = odd.map((m, i) => new ObjectKey(new Uint8Array([i, 255 - i]), m, i, i, m));
    const bytes = encodeCalls([
      { t: 0.001, qualname: smQualname('reserve_write'), names: ['keys', 'layout_desc', 'mode'], args: [keys, layout, 'new'] },
      { t: 0.002, qualname: smQualname('submit_prefetch_task'), names: ['spec', 'external_request_id', 'skip_l2'], args: [new PrefetchRequestSpec(keys.slice(0, 3), layout), 'req,"7"\n\x01', false] },
      { t: 0.003, qualname: 'some.Other.method', names: ['keys', 'note'], args: [new Tuple(keys.slice(4)), 'x'] },
      { t: 0.004, qualname: smQualname('finish_write'), names: ['keys'], args: [[]] },
    ]);
    const p = join(dir, 'odd', 'odd.lct');
    mkdirSync(join(dir, 'odd'), { recursive: true });
    writeFileSync(p, bytes);
    const { sets } = await expandTraceInputs([p]);
    const out = join(dir, 'odd-out');
    await exportParquet(sets, out);
    const back = await readBack(out);
    const want = await expectedRows(sets[0]!);
    expect(back.calls).toEqual(want.calls);
    expect(back.keys).toEqual(want.keys);
    expect(back.calls.map((r) => [r[4], r[5], r[6]])).toEqual([
      ['reserve_write', 10, null],
      ['submit_prefetch_task', 3, 'req,"7"\n\x01'],
      ['some.Other.method', 6, null],
      ['finish_write', 0, null],
    ]);
    expect(back.keys.filter((k) => k[1] === 0).map((k) => k[4])).toEqual(odd);
  });
});

function fixtureFile(name: string): string {
  const p = join(dir, 'fixtures', name);
  mkdirSync(join(dir, 'fixtures'), { recursive: true });
  writeFileSync(p, fixture(name));
  return p;
}
