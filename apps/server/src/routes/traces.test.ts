import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
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
    expect(session.recorder.stats.recordsWritten).toBe(40);
    await store(b, 5);
    // The five stores are in the recorder's batch unless a timed flush wrote some of them meanwhile
    // (the machine may be slow): the download is exactly what was committed, records included.
    const committed = session.recorder.stats.bytesWritten;
    const committedRecords = session.recorder.stats.recordsWritten;
    const r = await b.app.inject({ method: 'GET', url: '/traces/live.lct' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toMatch(/attachment; filename="live.lct"/);
    expect(r.headers['x-kvtrace-recording']).toBe('1');
    expect(r.rawPayload.length).toBe(committed);
    const { records, report } = await new TraceReader(streamOf(r.rawPayload)).readAll();
    expect(report.truncated).toBeNull();
    expect(report.malformed).toBe(0);
    expect(records.length).toBe(committedRecords);
    expect(records.length).toBeGreaterThanOrEqual(40);
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

describe('files that are not plain traces', () => {
  it('a FIFO in the directory hangs nothing: not listed, 404 on download, and other files and L2 keep working', async () => {
    const b = await build({ trace: 'live.lct', l2: true });
    opened.push(b);
    const fifo = join(b.tracesDir, 'fifo.lct');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await store(b, 2);
    // More requests than libuv has threads: a blocking open() would stall every one after them.
    const downloads = await Promise.all(Array.from({ length: 6 }, () => b.app.inject({ method: 'GET', url: '/traces/fifo.lct' })));
    expect(downloads.map((r) => r.statusCode)).toEqual(new Array(6).fill(404));
    const list = (await b.app.inject({ method: 'GET', url: '/traces' })).json() as { traces: { name: string }[] };
    expect(list.traces.map((t) => t.name)).toEqual(['live.lct']);
    expect((await b.app.inject({ method: 'GET', url: '/traces/live.lct' })).statusCode).toBe(200);
    await store(b, 4);
    await b.app.storage.idle();
    expect(b.app.storage.stats().l2_objects).toBe(4);
  });

  it('an empty file and a header too large to summarise are listed with their error', async () => {
    const b = await traced();
    writeFileSync(join(b.tracesDir, 'empty.lct'), '');
    const huge = Buffer.alloc(8);
    huge.writeUInt32BE(0x7fffffff, 0);
    writeFileSync(join(b.tracesDir, 'huge.lct'), Buffer.concat([huge, Buffer.alloc(2 << 20)]));
    const { traces } = (await b.app.inject({ method: 'GET', url: '/traces' })).json() as { traces: { name: string; error: string | null }[] };
    const byName = Object.fromEntries(traces.map((t) => [t.name, t.error]));
    expect(byName['empty.lct']).toMatch(/empty file/);
    expect(byName['huge.lct']).toMatch(/larger than 1048576 bytes/);
  });

  it('names of up to 255 characters are served; longer ones are a 400 naming the limit', async () => {
    const b = await traced();
    await store(b, 1);
    b.app.tracing!.close();
    const bytes = readFileSync(join(b.tracesDir, 'live.lct'));
    const long = 'n'.repeat(251) + '.lct';
    writeFileSync(join(b.tracesDir, long), bytes);
    const r = await b.app.inject({ method: 'GET', url: `/traces/${encodeURIComponent(long)}` });
    expect(r.statusCode, r.body).toBe(200);
    expect(Buffer.compare(r.rawPayload, bytes)).toBe(0);
    const tooLong = await b.app.inject({ method: 'GET', url: `/traces/${'n'.repeat(252)}.lct` });
    expect([tooLong.statusCode, tooLong.json().message]).toEqual([400, 'a trace name is 1 to 255 characters, got 256']);
  });
});

describe('If-Range', () => {
  it('a validator that still matches keeps the Range (206); a stale one gets the whole file (200)', async () => {
    const b = await traced();
    await store(b, 2);
    b.app.tracing!.close();
    const file = readFileSync(join(b.tracesDir, 'live.lct'));
    const full = await b.app.inject({ method: 'GET', url: '/traces/live.lct' });
    const etag = String(full.headers.etag);
    const lastModified = String(full.headers['last-modified']);
    expect(etag).toMatch(/^"[0-9a-z-]+"$/);
    const get = (ifRange: string) => b.app.inject({ method: 'GET', url: '/traces/live.lct', headers: { range: 'bytes=0-9', 'if-range': ifRange } });
    for (const same of [etag, lastModified]) {
      const r = await get(same);
      expect([r.statusCode, r.rawPayload.length], same).toEqual([206, 10]);
    }
    for (const stale of ['"other"', `W/${etag}`, new Date(Date.parse(lastModified) - 60_000).toUTCString(), 'not a date']) {
      const r = await get(stale);
      expect([r.statusCode, r.rawPayload.length], stale).toEqual([200, file.length]);
    }
  });
});

describe('the traces directory deleted while recording', () => {
  it('is detected and said: the recording stops with the reason, the listing says the directory is gone, the API keeps working', async () => {
    const notices: string[] = [];
    const b = await build({ trace: 'doomed.lct', app: { notice: (m) => notices.push(m) } });
    opened.push(b);
    await store(b, 3);
    rmSync(b.tracesDir, { recursive: true, force: true });
    const stats = (await b.app.inject({ method: 'GET', url: '/v1/stats' })).json();
    expect(stats.tracing).toMatchObject({ recording: false, state: 'closed', problem: expect.stringMatching(/doomed\.lct was deleted while recording/) });
    expect(notices).toEqual([expect.stringMatching(/^trace: recording stopped: the trace file .*doomed\.lct was deleted/)]);
    const list = (await b.app.inject({ method: 'GET', url: '/traces' })).json();
    expect(list).toMatchObject({ traces: [], problem: expect.stringMatching(/traces directory .* cannot be read: ENOENT/) });
    await store(b, 2);
    expect(notices).toHaveLength(1);
  });
});

describe('rotation (--trace-max-mb)', () => {
  it('lists every segment with its sequence; together they hold every call once; a follow of a finished segment ends', async () => {
    const b = await build({ trace: 'rot.lct', maxSegmentBytes: 8 * 1024 });
    opened.push(b);
    const url = await b.app.listen({ host: '127.0.0.1', port: 0 });
    const follow = fetch(`${url}/traces/rot.lct?follow=1`).then(async (r) => new Uint8Array(await r.arrayBuffer()));
    await store(b, 40);
    const session = b.app.tracing!;
    await session.bus.whenIdle();
    session.recorder.flush();
    // The first segment was finished by the rotation: its follow ends with the whole file.
    const followed = await follow;
    expect(Buffer.compare(Buffer.from(followed), readFileSync(join(b.tracesDir, 'rot.lct')))).toBe(0);
    const { traces } = (await (await fetch(`${url}/traces`)).json()) as { traces: { name: string; segment_of: string; segment: number; recording: boolean; size: number }[] };
    const segs = [...traces].sort((x, y) => x.segment - y.segment);
    expect(segs.length).toBeGreaterThanOrEqual(3);
    expect(segs.map((t) => t.segment)).toEqual(segs.map((_, i) => i));
    expect(new Set(segs.map((t) => t.segment_of))).toEqual(new Set(['rot.lct']));
    expect(segs.map((t) => t.name)).toEqual(segs.map((t, i) => (i === 0 ? 'rot.lct' : `rot.${String(i).padStart(6, '0')}.lct`)));
    expect(segs.filter((t) => t.recording).map((t) => t.segment)).toEqual([segs.length - 1]);
    let total = 0;
    for (const t of segs) {
      expect(t.size).toBeLessThanOrEqual(8 * 1024);
      const res = await fetch(`${url}/traces/${t.name}`);
      const { header, records, report } = await new TraceReader(res.body!).readAll();
      expect(report).toMatchObject({ malformed: 0, truncated: null });
      expect(header.digest_valid).toBe(true);
      total += records.length;
    }
    expect(total).toBe(session.bus.published);
    expect(total).toBe(40 * 2); // each store is a reserve_write and a finish_write
  });
});
