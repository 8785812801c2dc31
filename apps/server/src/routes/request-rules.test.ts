/** Every /v1 route refuses what LMCache could not decode, with a 400 naming the field and the rule, and loses no data. */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemoryLayoutDesc, TORCH_DTYPES, TraceReader } from '@kvtrace/trace';
import { encodeFramed, OCTET } from '../protocol/wire.ts';
import { build, hexKey, LAYOUT_JSON, type Built } from '../test-support.ts';

const opened: Built[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});
async function traced() {
  const b = await build({ trace: 'rules.lct' });
  opened.push(b);
  return b;
}

const framed = (meta: unknown, parts: Uint8Array[] = []) => Buffer.from(encodeFramed(meta, parts));
const layoutOf = (dtype: string) => ({ shapes: [[1, 512]], dtypes: [dtype] });

/** A body per route with `key` as its key and `layout` as its layout, JSON or framed. */
function requests(key: Record<string, unknown>, layout: unknown) {
  const json = (url: string, payload: unknown) => ({ method: 'POST' as const, url, payload: payload as Record<string, unknown> });
  const bin = (url: string, meta: unknown, n: number) => ({ method: 'POST' as const, url, headers: { 'content-type': OCTET }, payload: framed(meta, [new Uint8Array(n)]) });
  return {
    reserve_write: json('/v1/reserve_write', { keys: [hexKey(1), key], layout, mode: 'new' }),
    write_data: bin('/v1/write_data', { keys: [key] }, 1024),
    finish_write: json('/v1/finish_write', { keys: [key] }),
    submit_prefetch_task: json('/v1/submit_prefetch_task', { keys: [key], layout }),
    read_prefetched_results: json('/v1/read_prefetched_results', { keys: [key] }),
    finish_read_prefetched: json('/v1/finish_read_prefetched', { keys: [key] }),
    store: bin('/v1/store', { keys: [key], layout }, 1024),
    retrieve: json('/v1/retrieve', { keys: [key], layout }),
  };
}

async function recorded(b: Built) {
  await b.app.close();
  const bytes = new Uint8Array(readFileSync(join(b.tracesDir, 'rules.lct')));
  const stream = new ReadableStream<Uint8Array>({ start: (c) => (c.enqueue(bytes), c.close()) });
  return (await new TraceReader(stream, { decodeArgs: true }).readAll()).records;
}

describe('what LMCache could not decode is refused by every route', () => {
  const badKeys: [string, Record<string, unknown>, RegExp][] = [
    ['model_name with @', hexKey(2, 'org@model'), /^keys\[\d\]\.model_name: contains "@", which LMCache's ObjectKey refuses/],
    ['cache_salt with / and @', { ...hexKey(2), cache_salt: 'team/a@b' }, /^keys\[\d\]\.cache_salt: contains "@"/],
    ['cache_salt of 200 characters', { ...hexKey(2), cache_salt: 's'.repeat(200) }, /^keys\[\d\]\.cache_salt: is 200 characters: LMCache's ObjectKey allows at most 128/],
    ['cache_salt with NUL', { ...hexKey(2), cache_salt: 'a\0b' }, /^keys\[\d\]\.cache_salt: contains NUL/],
    ['model_name with a lone high surrogate', hexKey(2, 'm\ud800'), /^keys\[\d\]\.model_name: is not valid Unicode: a lone surrogate \\ud800 at index 1/],
    ['model_name with a lone low surrogate', hexKey(2, 'm\udc00'), /^keys\[\d\]\.model_name: is not valid Unicode: a lone surrogate \\udc00/],
  ];
  for (const [name, key, message] of badKeys) {
    it(`${name}: 400 on each of the 8 routes, nothing recorded, nothing stored`, async () => {
      const b = await traced();
      for (const [route, req] of Object.entries(requests(key, LAYOUT_JSON))) {
        const r = await b.app.inject(req);
        expect(r.statusCode, `${route}: ${r.body}`).toBe(400);
        expect(r.json().message, route).toMatch(message);
        expect(r.json().field, route).toMatch(/^keys\[\d\]\.(model_name|cache_salt)$/);
      }
      expect((await b.app.inject({ method: 'GET', url: '/v1/stats' })).json()).toMatchObject({ l1_objects: 0, calls_reserve_write: 0, calls_submit_prefetch_task: 0 });
      expect(await recorded(b)).toHaveLength(0);
    });
  }

  it('a negative object_group_id is refused by the schema, naming the field', async () => {
    const b = await traced();
    const r = await b.app.inject(requests({ ...hexKey(2), object_group_id: -1 }, LAYOUT_JSON).finish_write);
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/object_group_id must be >= 0/)]);
  });

  const badDtypes: [string, RegExp][] = [
    ['float16', /^layout\.dtypes\[0\]: "float16" is not a torch dtype name LMCache decodes \(did you mean "torch\.float16"\?\)/],
    ['not_a_dtype', /^layout\.dtypes\[0\]: "not_a_dtype" is not a torch dtype name LMCache decodes/],
    ['torch.halff', /"torch\.halff" is not a torch dtype/],
  ];
  for (const [dtype, message] of badDtypes) {
    it(`dtype ${dtype}: 400 on the 4 routes that take a layout`, async () => {
      const b = await traced();
      const all = requests(hexKey(1), layoutOf(dtype));
      for (const route of ['reserve_write', 'submit_prefetch_task', 'store', 'retrieve'] as const) {
        const r = await b.app.inject(all[route]);
        expect([r.statusCode, r.json().message, r.json().field], route).toEqual([400, expect.stringMatching(message), 'layout.dtypes[0]']);
      }
      expect(await recorded(b)).toHaveLength(0);
    });
  }

  it('a lone surrogate anywhere else (external_request_id) is refused too', async () => {
    const b = await traced();
    const r = await b.app.inject({ method: 'POST', url: '/v1/submit_prefetch_task', payload: { keys: [hexKey(1)], layout: LAYOUT_JSON, external_request_id: 'req-\udfff' } });
    expect([r.statusCode, r.json().field]).toEqual([400, 'external_request_id']);
  });
});

describe('what LMCache decodes is accepted and recorded as LMCache names it', () => {
  it('torch aliases are accepted and recorded under their canonical names (torch.half as torch.float16)', async () => {
    const b = await traced();
    const aliases: [string, string][] = [['torch.half', 'torch.float16'], ['torch.float', 'torch.float32'], ['torch.long', 'torch.int64']];
    for (const [alias] of aliases) {
      const r = await b.app.inject({ method: 'POST', url: '/v1/reserve_write', payload: { keys: [hexKey(1)], layout: layoutOf(alias), mode: 'all' } });
      expect(r.statusCode, r.body).toBe(200);
    }
    const records = await recorded(b);
    expect(records.map((x) => (x.args().layout_desc as MemoryLayoutDesc).dtypes)).toEqual(aliases.map(([, canonical]) => [canonical]));
  });

  it('all 46 canonical dtypes, a 128-character salt, astral characters and the edge values of the rules', async () => {
    const b = await traced();
    const layout = { shapes: TORCH_DTYPES.map(() => [1]), dtypes: [...TORCH_DTYPES] };
    const key = { ...hexKey(1, 'Qwen/Qwen2.5 \u{1F600}'), cache_salt: 'x'.repeat(127) + '\u{1F600}', object_group_id: 0 };
    const r = await b.app.inject({ method: 'POST', url: '/v1/reserve_write', payload: { keys: [key], layout, mode: 'new' } });
    expect(r.statusCode, r.body).toBe(200);
    const records = await recorded(b);
    expect((records[0]!.args().layout_desc as MemoryLayoutDesc).dtypes).toEqual(TORCH_DTYPES);
  });
});
