import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rng } from './workload/plan.ts';
import { decodeFramed, encodeFramed, OCTET } from './protocol/wire.ts';
import { build, hexKey, LAYOUT_JSON, type Built } from './test-support.ts';

const opened: Built[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});
async function app(opts: Parameters<typeof build>[0] = {}) {
  const b = await build(opts);
  opened.push(b);
  return b.app;
}

const obj = (fill: number) => new Uint8Array(1024).fill(fill);
const framed = (meta: unknown, parts: Uint8Array[] = []) => Buffer.from(encodeFramed(meta, parts));

describe('control routes', () => {
  it('reserve_write, write_data, finish_write, then prefetch, read (binary) and release', async () => {
    const a = await app();
    const keys = [hexKey(1), hexKey(2)];
    let r = await a.inject({ method: 'POST', url: '/v1/reserve_write', payload: { keys, layout: LAYOUT_JSON, mode: 'new' } });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ outcomes: ['reserved', 'reserved'], reserved: 2 });
    r = await a.inject({ method: 'POST', url: '/v1/write_data', headers: { 'content-type': OCTET }, payload: framed({ keys }, [obj(1), obj(2)]) });
    expect(r.json()).toEqual({ written: [true, true], errors: [null, null] });
    r = await a.inject({ method: 'POST', url: '/v1/finish_write', payload: { keys } });
    expect(r.json()).toEqual({ finished: [true, true] });
    r = await a.inject({ method: 'POST', url: '/v1/submit_prefetch_task', payload: { keys: [...keys, hexKey(3)], layout: LAYOUT_JSON, extra_count: 1, external_request_id: 'r1' } });
    const p = r.json();
    expect(p.found).toEqual([true, true, false]);
    expect(p.hit_count).toBe(2);
    expect(p.handle).toMatchObject({ prefetch_request_id: -1, external_request_id: 'r1', l1_found_indices: [0, 1], total_requested_keys: 3, l2_orig_indices: [], l1_prefix_hit_count: 2 });
    r = await a.inject({ method: 'POST', url: '/v1/read_prefetched_results', headers: { accept: OCTET }, payload: { keys } });
    expect(r.headers['content-type']).toBe(OCTET);
    const { meta, payload } = decodeFramed(r.rawPayload);
    expect(meta).toEqual({ found: [true, true], sizes: [1024, 1024], released: false });
    expect(new Uint8Array(payload.subarray(0, 1024))).toEqual(obj(1));
    expect(new Uint8Array(payload.subarray(1024))).toEqual(obj(2));
    r = await a.inject({ method: 'POST', url: '/v1/finish_read_prefetched', payload: { keys, extra_count: 1 } });
    expect(r.json()).toEqual({ released: 2 });
    const s = (await a.inject({ method: 'GET', url: '/v1/stats' })).json();
    expect(s).toMatchObject({ l1_objects: 2, l1_read_locks: 0, calls_reserve_write: 1, calls_read_prefetched_enter: 1, tracing: null });
  });

  it('read_prefetched_results answers JSON when asked, and releases when a key is missing', async () => {
    const a = await app();
    await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: [hexKey(1)], layout: LAYOUT_JSON }, [obj(1)]) });
    await a.inject({ method: 'POST', url: '/v1/submit_prefetch_task', payload: { keys: [hexKey(1)], layout: LAYOUT_JSON } });
    const r = await a.inject({ method: 'POST', url: '/v1/read_prefetched_results', headers: { accept: 'application/json' }, payload: { keys: [hexKey(1), hexKey(2)] } });
    expect(r.json()).toEqual({ found: [true, false], sizes: [1024, 0], released: true });
    expect((await a.inject({ method: 'GET', url: '/v1/stats' })).json().l1_read_locks).toBe(0);
  });

  it('reserve_write reports partial success per key', async () => {
    const a = await app({ objects: 2 });
    const r = await a.inject({ method: 'POST', url: '/v1/reserve_write', payload: { keys: [hexKey(1), hexKey(2), hexKey(3)], layout: LAYOUT_JSON, mode: 'all' } });
    expect(r.json().outcomes).toEqual(['reserved', 'reserved', 'no_space']);
  });

  it('write_data: a key that is not reserved fails alone', async () => {
    const a = await app();
    await a.inject({ method: 'POST', url: '/v1/reserve_write', payload: { keys: [hexKey(1)], layout: LAYOUT_JSON, mode: 'new' } });
    const r = await a.inject({ method: 'POST', url: '/v1/write_data', headers: { 'content-type': OCTET }, payload: framed({ keys: [hexKey(1), hexKey(2)] }, [obj(1), obj(2)]) });
    expect(r.statusCode).toBe(200);
    expect(r.json().written).toEqual([true, false]);
    expect(r.json().errors[1]).toMatch(/not reserved/);
  });
});

describe('store and retrieve', () => {
  it('store runs reserve, write and finish; retrieve runs prefetch, read and release', async () => {
    const a = await app();
    const keys = [hexKey(1), hexKey(2), hexKey(3)];
    let r = await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: keys.slice(0, 2), layout: LAYOUT_JSON }, [obj(1), obj(2)]) });
    expect(r.json()).toEqual({ outcomes: ['reserved', 'reserved'], stored: 2 });
    r = await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: keys.slice(0, 1), layout: LAYOUT_JSON }, [obj(9)]) });
    expect(r.json()).toEqual({ outcomes: ['exists'], stored: 0 });
    r = await a.inject({ method: 'POST', url: '/v1/retrieve', payload: { keys, layout: LAYOUT_JSON } });
    const { meta, payload } = decodeFramed(r.rawPayload);
    expect(meta).toEqual({ found: [true, true, false], hit_count: 2, l1_hits: 2, l2_hits: 0, sizes: [1024, 1024, 0] });
    expect(new Uint8Array(payload)).toEqual(new Uint8Array([...obj(1), ...obj(2)]));
    r = await a.inject({ method: 'POST', url: '/v1/retrieve', headers: { accept: 'application/json' }, payload: { keys, layout: LAYOUT_JSON } });
    expect(r.json().hit_count).toBe(2);
    const s = (await a.inject({ method: 'GET', url: '/v1/stats' })).json();
    expect(s).toMatchObject({ l1_read_locks: 0, calls_submit_prefetch_task: 2, calls_finish_read_prefetched: 2 });
  });

  it('retrieve loads from L2 what L1 evicted', async () => {
    const b = await build({ objects: 2, l2: true });
    opened.push(b);
    const a = b.app;
    for (let i = 1; i <= 4; i++)
      await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: [hexKey(i)], layout: LAYOUT_JSON }, [obj(i)]) });
    await a.storage.idle();
    const r = await a.inject({ method: 'POST', url: '/v1/retrieve', payload: { keys: [hexKey(1)], layout: LAYOUT_JSON } });
    const { meta, payload } = decodeFramed(r.rawPayload);
    expect(meta).toMatchObject({ found: [true], l1_hits: 0, l2_hits: 1 });
    expect(new Uint8Array(payload)).toEqual(obj(1));
  });
});

describe('bad requests get a 4xx with a message', () => {
  const cases: [string, string, Record<string, string>, unknown, number, RegExp][] = [
    ['bad hex', '/v1/finish_write', {}, { keys: [{ chunk_hash: 'xyz', model_name: 'm' }] }, 400, /chunk_hash/],
    ['odd hex', '/v1/finish_write', {}, { keys: [{ chunk_hash: 'abc', model_name: 'm' }] }, 400, /chunk_hash/],
    ['no model', '/v1/finish_write', {}, { keys: [{ chunk_hash: 'ab' }] }, 400, /model_name/],
    ['negative rank', '/v1/finish_write', {}, { keys: [{ chunk_hash: 'ab', model_name: 'm', kv_rank: -1 }] }, 400, /kv_rank/],
    ['bad mode', '/v1/reserve_write', {}, { keys: [], layout: LAYOUT_JSON, mode: 'overwrite' }, 400, /mode/],
    ['bad policy', '/v1/submit_prefetch_task', {}, { keys: [], layout: LAYOUT_JSON, policy: 'SUFFIX' }, 400, /policy/],
    ['negative extra', '/v1/finish_read_prefetched', {}, { keys: [], extra_count: -2 }, 400, /extra_count/],
    ['shapes vs dtypes', '/v1/reserve_write', {}, { keys: [], layout: { shapes: [[1], [2]], dtypes: ['torch.half'] }, mode: 'new' }, 400, /one dtype per tensor/],
    ['huge layout', '/v1/reserve_write', {}, { keys: [hexKey(1)], layout: { shapes: [[1 << 30, 1 << 30]], dtypes: ['torch.float32'] }, mode: 'new' }, 400, /limit/],
    ['too many keys', '/v1/finish_write', {}, { keys: Array.from({ length: 5000 }, (_, i) => hexKey(i)) }, 400, /keys/],
    ['not JSON', '/v1/finish_write', { 'content-type': 'application/json' }, '{"keys": [', 400, /JSON/i],
    ['wrong type', '/v1/finish_write', { 'content-type': 'application/xml' }, '<a/>', 415, /application\/xml/],
    ['text body', '/v1/finish_write', { 'content-type': 'text/plain; charset=utf-8' }, '{"keys": []}', 415, /text\/plain/],
  ];
  for (const [name, url, headers, payload, status, message] of cases) {
    it(name, async () => {
      const a = await app();
      const r = await a.inject({ method: 'POST', url, headers, payload: payload as string });
      expect(r.statusCode).toBe(status);
      expect(r.json().message).toMatch(message);
    });
  }

  it('framed bodies: short, lying prefix, bad JSON, wrong sizes, JSON where bytes are expected', async () => {
    const a = await app();
    const post = (url: string, body: Buffer, type = OCTET) => a.inject({ method: 'POST', url, headers: { 'content-type': type }, payload: body });
    let r = await post('/v1/store', Buffer.from([0, 0]));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/shorter than/)]);
    r = await post('/v1/store', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2]));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/claims/)]);
    r = await post('/v1/store', Buffer.from([0, 0, 0, 2, 0x7b, 0x7b]));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/not UTF-8 JSON/)]);
    r = await post('/v1/store', framed({ keys: [hexKey(1)], layout: LAYOUT_JSON }, [new Uint8Array(10)]));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/add up to 1024/)]);
    r = await post('/v1/store', framed({ keys: [hexKey(1)] }));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/layout/)]);
    r = await a.inject({ method: 'POST', url: '/v1/store', payload: { keys: [], layout: LAYOUT_JSON } });
    expect(r.statusCode).toBe(415);
    r = await post('/v1/write_data', framed({ keys: [hexKey(1), hexKey(2)] }, [new Uint8Array(3)]));
    expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/split evenly/)]);
    expect((await a.inject({ method: 'GET', url: '/v1/stats' })).json().l1_objects).toBe(0);
  });

  it('a body over the limit is 413', async () => {
    const a = await app({ app: { bodyLimit: 4096 } });
    const r = await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: Buffer.alloc(8192) });
    expect(r.statusCode).toBe(413);
  });

  it('read routes refuse a key listed twice (one object repeated would amplify the answer)', async () => {
    const a = await app();
    await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: [hexKey(1)], layout: LAYOUT_JSON }, [obj(1)]) });
    await a.inject({ method: 'POST', url: '/v1/submit_prefetch_task', payload: { keys: [hexKey(1)], layout: LAYOUT_JSON } });
    const dup = Array.from({ length: 4096 }, () => hexKey(1));
    for (const url of ['/v1/read_prefetched_results', '/v1/retrieve']) {
      const r = await a.inject({ method: 'POST', url, headers: { accept: OCTET }, payload: { keys: dup, layout: LAYOUT_JSON } });
      expect([r.statusCode, r.json().message]).toEqual([400, expect.stringMatching(/keys\[1\] repeats keys\[0\]/)]);
    }
    // The same key with another salt is another object, not a repeat.
    const r = await a.inject({ method: 'POST', url: '/v1/read_prefetched_results', headers: { accept: 'application/json' }, payload: { keys: [hexKey(1), { ...hexKey(1), cache_salt: 's' }] } });
    expect(r.statusCode).toBe(200);
  });

  it('a framed answer over the response limit is 413, its JSON form is not limited', async () => {
    const a = await app({ app: { bodyLimit: 4096 } });
    const keys = Array.from({ length: 8 }, (_, i) => hexKey(i));
    // Stored two at a time: a request body is limited too.
    for (let i = 0; i < 8; i += 2) {
      const r = await a.inject({ method: 'POST', url: '/v1/store', headers: { 'content-type': OCTET }, payload: framed({ keys: keys.slice(i, i + 2), layout: LAYOUT_JSON }, [obj(i), obj(i + 1)]) });
      expect(r.json().stored).toBe(2);
    }
    let r;
    await a.inject({ method: 'POST', url: '/v1/submit_prefetch_task', payload: { keys, layout: LAYOUT_JSON } });
    r = await a.inject({ method: 'POST', url: '/v1/read_prefetched_results', headers: { accept: OCTET }, payload: { keys } });
    expect([r.statusCode, r.json().message]).toEqual([413, expect.stringMatching(/8192 bytes.*4096-byte response limit/)]);
    r = await a.inject({ method: 'POST', url: '/v1/read_prefetched_results', headers: { accept: 'application/json' }, payload: { keys } });
    expect(r.json().sizes).toEqual(keys.map(() => 1024));
    await a.inject({ method: 'POST', url: '/v1/finish_read_prefetched', payload: { keys } });
    r = await a.inject({ method: 'POST', url: '/v1/retrieve', headers: { accept: OCTET }, payload: { keys, layout: LAYOUT_JSON } });
    expect(r.statusCode).toBe(413);
    r = await a.inject({ method: 'POST', url: '/v1/retrieve', headers: { accept: OCTET }, payload: { keys: keys.slice(0, 3), layout: LAYOUT_JSON } });
    expect(r.statusCode).toBe(200);
    // A refused retrieve released its read locks.
    expect((await a.inject({ method: 'GET', url: '/v1/stats' })).json().l1_read_locks).toBe(0);
  });

  it('unknown API routes are 404 JSON', async () => {
    const a = await app();
    const r = await a.inject({ method: 'GET', url: '/v1/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json().message).toMatch(/no route/);
  });

  it('seeded random garbage never gets a 5xx and never changes the store', async () => {
    const a = await app();
    const seed = 20250101;
    const rand = rng(seed);
    const routes = ['reserve_write', 'write_data', 'finish_write', 'submit_prefetch_task', 'read_prefetched_results', 'finish_read_prefetched', 'store', 'retrieve'];
    const junk = (): unknown => {
      const k = Math.floor(rand() * 6);
      if (k === 0) return { keys: [{ chunk_hash: 'zz', model_name: 1 }] };
      if (k === 1) return { keys: 'abc', layout: [] };
      if (k === 2) return { keys: [hexKey(1)], layout: { shapes: [[-1]], dtypes: ['x'] }, mode: 'new' };
      if (k === 3) return [1, 2, 3];
      if (k === 4) return { keys: [hexKey(1)], layout: { shapes: [[1e12]], dtypes: ['torch.float64'] }, mode: 'all' };
      return null;
    };
    for (let i = 0; i < 200; i++) {
      const url = `/v1/${routes[Math.floor(rand() * routes.length)]}`;
      const binary = rand() < 0.5;
      const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256)));
      const r = binary
        ? await a.inject({ method: 'POST', url, headers: { 'content-type': OCTET }, payload: rand() < 0.5 ? bytes : framed(junk(), [bytes]) })
        : await a.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(junk()) });
      expect(r.statusCode, `seed ${seed} step ${i} ${url}: ${r.body}`).toBeLessThan(500);
    }
    expect((await a.inject({ method: 'GET', url: '/v1/stats' })).json()).toMatchObject({ l1_objects: 0, l1_used_bytes: 0 });
  });
});

describe('inspector', () => {
  it('without a build, / says the inspector is not built', async () => {
    const a = await app();
    const r = await a.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/html/);
    expect(r.body).toMatch(/not built/);
    expect(r.body).toMatch(/npm run build/);
  });

  it('with a build, serves files and index.html for unknown non-API paths', async () => {
    const b = await build();
    opened.push(b);
    await b.close();
    const dist = join(b.dir + '-dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>inspector</title>');
    writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
    const c = await build({ app: { inspectorDist: dist } });
    opened.push(c);
    const a = c.app;
    expect((await a.inject({ method: 'GET', url: '/' })).body).toMatch(/<title>inspector/);
    expect((await a.inject({ method: 'GET', url: '/?trace=x.lct' })).body).toMatch(/<title>inspector/);
    expect((await a.inject({ method: 'GET', url: '/calls/12' })).body).toMatch(/<title>inspector/);
    expect((await a.inject({ method: 'GET', url: '/assets/app.js' })).body).toBe('console.log(1)');
    expect((await a.inject({ method: 'GET', url: '/v1/unknown' })).statusCode).toBe(404);
    expect((await a.inject({ method: 'GET', url: '/traces/a/b' })).statusCode).toBe(404);
    const { rmSync } = await import('node:fs');
    rmSync(dist, { recursive: true, force: true });
  });
});
