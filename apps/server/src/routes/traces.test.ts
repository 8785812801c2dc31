import { readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceReader } from '@kvtrace/trace';
import { encodeFramed, OCTET } from '../protocol/wire.ts';
import { build, hexKey, LAYOUT_JSON, type Built } from '../test-support.ts';

const opened: Built[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});
async function traced() {
  const b = await build({ trace: 'live.lct' });
  opened.push(b);
  return b;
}

const streamOf = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });

async function store(b: Built, n: number) {
  for (let i = 0; i < n; i++) {
    const r = await b.app.inject({
      method: 'POST',
      url: '/v1/store',
      headers: { 'content-type': OCTET },
      payload: Buffer.from(encodeFramed({ keys: [hexKey(i)], layout: LAYOUT_JSON }, [new Uint8Array(1024)])),
    });
    expect(r.statusCode).toBe(200);
  }
}

describe('GET /traces', () => {
  it('lists traces newest first with size, mtime, recording and a header summary (or an error)', async () => {
    const b = await traced();
    writeFileSync(join(b.tracesDir, 'old-broken.lct'), Buffer.from('WRNG'));
    utimesSync(join(b.tracesDir, 'old-broken.lct'), new Date(2000, 1, 1), new Date(2000, 1, 1));
    writeFileSync(join(b.tracesDir, 'notes.txt'), 'not a trace');
    symlinkSync('/etc/hostname', join(b.tracesDir, 'link.lct'));
    await store(b, 3);
    const r = await b.app.inject({ method: 'GET', url: '/traces' });
    const { traces } = r.json() as { traces: Record<string, unknown>[] };
    expect(traces.map((t) => t.name)).toEqual(['live.lct', 'old-broken.lct']);
    const live = traces[0]!;
    expect(live).toMatchObject({ recording: true, error: null, header: { level: 'storage', format_version: 1, trace_schema_version: 2, digest_valid: true } });
    expect(typeof live.size).toBe('number');
    expect(new Date(live.mtime as string).toISOString()).toBe(live.mtime);
    expect(traces[1]).toMatchObject({ recording: false, header: null, error: expect.stringMatching(/truncated header|bad magic|claims/) });
  });
});

describe('GET /traces/:name', () => {
  it('downloads a live trace as a consistent prefix that ends on a frame boundary', async () => {
    const b = await traced();
    await store(b, 20);
    const session = b.app.tracing!;
    session.bus.flush();
    session.recorder.flush();
    await store(b, 5);
    // Five stores are in the recorder's batch, not in the file: the download must stop before them.
    const committed = session.recorder.stats.bytesWritten;
    const r = await b.app.inject({ method: 'GET', url: '/traces/live.lct' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="live.lct"/);
    expect(r.headers['x-kvtrace-recording']).toBe('1');
    expect(r.rawPayload.length).toBe(committed);
    const { records, report } = await new TraceReader(streamOf(r.rawPayload)).readAll();
    expect(report.truncated).toBeNull();
    expect(report.malformed).toBe(0);
    expect(records.length).toBe(40);
  });

  it('serves the whole file once the recording is closed', async () => {
    const b = await traced();
    await store(b, 4);
    b.app.tracing!.close();
    const r = await b.app.inject({ method: 'GET', url: '/traces/live.lct' });
    expect(r.headers['x-kvtrace-recording']).toBe('0');
    expect(Buffer.compare(r.rawPayload, readFileSync(join(b.tracesDir, 'live.lct')))).toBe(0);
    expect((await new TraceReader(streamOf(r.rawPayload)).readAll()).records).toHaveLength(8);
  });

  it('supports Range: a-b, a-, -n; 416 when unsatisfiable; ignores malformed ranges', async () => {
    const b = await traced();
    await store(b, 3);
    b.app.tracing!.close();
    const file = readFileSync(join(b.tracesDir, 'live.lct'));
    const get = (range: string) => b.app.inject({ method: 'GET', url: '/traces/live.lct', headers: { range } });
    let r = await get('bytes=0-9');
    expect(r.statusCode).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 0-9/${file.length}`);
    expect(Buffer.compare(r.rawPayload, file.subarray(0, 10))).toBe(0);
    r = await get('bytes=10-');
    expect(Buffer.compare(r.rawPayload, file.subarray(10))).toBe(0);
    r = await get('bytes=-7');
    expect(r.headers['content-range']).toBe(`bytes ${file.length - 7}-${file.length - 1}/${file.length}`);
    expect(Buffer.compare(r.rawPayload, file.subarray(-7))).toBe(0);
    r = await get(`bytes=5-${file.length + 100}`);
    expect(r.rawPayload.length).toBe(file.length - 5);
    r = await get(`bytes=${file.length}-`);
    expect(r.statusCode).toBe(416);
    expect(r.headers['content-range']).toBe(`bytes */${file.length}`);
    r = await get('bytes=99999999999999999999999-');
    expect(r.statusCode).toBe(416);
    r = await get('bytes=9-3');
    expect(r.statusCode).toBe(200);
    r = await get('items=0-3');
    expect(r.statusCode).toBe(200);
    expect(r.rawPayload.length).toBe(file.length);
    expect(r.headers['accept-ranges']).toBe('bytes');
  });

  it('rejects names that escape the directory', async () => {
    const b = await traced();
    writeFileSync(join(b.dir, 'secret.lct'), 'outside');
    symlinkSync(join(b.dir, 'secret.lct'), join(b.tracesDir, 'escape.lct'));
    const cases: [string, number[]][] = [
      ['/traces/..%2Fsecret.lct', [400]],
      ['/traces/..%2F..%2Fetc%2Fpasswd', [400]],
      ['/traces/%2Fetc%2Fpasswd', [400]],
      ['/traces/..%5Csecret.lct', [400]],
      ['/traces/.hidden.lct', [400]],
      ['/traces/../secret.lct', [400, 404]],
      ['/traces/escape.lct', [404]],
      ['/traces/missing.lct', [404]],
      ['/traces/notes.txt', [404]],
      ['/traces/a%00.lct', [400]],
    ];
    for (const [url, statuses] of cases) {
      const r = await b.app.inject({ method: 'GET', url });
      expect(statuses, `${url} -> ${r.statusCode} ${r.body}`).toContain(r.statusCode);
      expect(r.body).not.toContain('outside');
    }
  });
});
