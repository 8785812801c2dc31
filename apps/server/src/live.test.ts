/** Real listening port: the workload against a traced server, the trace downloaded over HTTP. */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { shortMethodName, TraceReader } from '@kvtrace/trace';
import { build, type Built } from './test-support.ts';
import { layoutOfKib, runWorkload } from './workload/index.ts';

const opened: Built[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});

async function listen(opts: Parameters<typeof build>[0]) {
  const b = await build(opts);
  opened.push(b);
  const url = await b.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...b, url };
}

async function download(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

const streamOf = (bytes: Uint8Array) =>
  new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });

async function readTrace(bytes: Uint8Array) {
  const { records, report } = await new TraceReader(streamOf(bytes), { decodeArgs: true }).readAll();
  const counts: Record<string, number> = {};
  for (const r of records) counts[shortMethodName(r.qualname)] = (counts[shortMethodName(r.qualname)] ?? 0) + 1;
  return { records, report, counts };
}

/** Calls the storage manager counted itself, by traced method name. */
function smCalls(s: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {
    reserve_write: s.calls_reserve_write!,
    finish_write: s.calls_finish_write!,
    submit_prefetch_task: s.calls_submit_prefetch_task!,
    'read_prefetched_results.__enter__': s.calls_read_prefetched_enter!,
    'read_prefetched_results.__exit__': s.calls_read_prefetched_exit!,
    finish_read_prefetched: s.calls_finish_read_prefetched!,
  };
  return Object.fromEntries(Object.entries(out).filter(([, n]) => n > 0));
}

async function waitFlushed(b: Built): Promise<void> {
  const t = b.app.tracing!;
  await t.bus.whenIdle();
  t.recorder.flush();
}

/** A raw GET with the path exactly as given (fetch and inject normalise dot segments). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('workload against a traced server on a real port', () => {
  it('records equal the calls made; a download while recording is a clean prefix; follow streams frames', async () => {
    const s = await listen({ objects: 256, l2: true, trace: 'run.lct' });
    const follow = fetch(`${s.url}/traces/run.lct?follow=1`).then(async (r) => new Uint8Array(await r.arrayBuffer()));
    const workload = runWorkload({ url: s.url, requests: 120, concurrency: 6, layout: layoutOfKib(1), documents: 16, verify: true });
    // While the workload runs: downloads must parse to whole frames only.
    let midDownloads = 0;
    let done = false;
    void workload.finally(() => (done = true));
    while (!done) {
      const bytes = await download(`${s.url}/traces/run.lct`);
      const { report } = await readTrace(bytes);
      expect(report.truncated).toBeNull();
      expect(report.malformed).toBe(0);
      midDownloads++;
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await workload;
    expect(r.errors).toBe(0);
    expect(r.corrupt).toBe(0);
    expect(r.requests).toBe(120);
    expect(r.chunksHit).toBeGreaterThan(0);
    expect(midDownloads).toBeGreaterThan(0);

    await waitFlushed(s);
    const stats = (await (await fetch(`${s.url}/v1/stats`)).json()) as Record<string, number> & { tracing: Record<string, number> };
    expect(stats.tracing.dropped).toBe(0);
    const bytes = await download(`${s.url}/traces/run.lct`);
    const { records, report, counts } = await readTrace(bytes);
    expect(report.truncated).toBeNull();
    expect(report.argDecodeErrors).toBe(0);
    expect(counts).toEqual(smCalls(stats));
    expect(records.length).toBe(stats.tracing.published);
    // Arguments decode to what the workload sent.
    const first = records.find((x) => shortMethodName(x.qualname) === 'submit_prefetch_task')!;
    expect(Object.keys(first.args())).toEqual(['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode']);

    // Closing the server ends the follow stream; it carried the file as it was when it closed.
    await s.app.close();
    const followed = await follow;
    expect(Buffer.compare(Buffer.from(followed), Buffer.from(bytes))).toBe(0);
  });

  it('a follower and a download that have not read a byte when the server closes still get every byte', async () => {
    // A follower reads at its client's pace: a browser parsing a busy recording can be seconds behind
    // when the server is told to close. The close waits for it (bounded), it does not cut it.
    const s = await listen({ objects: 256, trace: 'slow.lct' });
    const big = new Uint8Array(48 << 20).map((_, i) => i & 0xff);
    writeFileSync(join(s.tracesDir, 'big.lct'), big);
    const r = await runWorkload({ url: s.url, requests: 30, concurrency: 3, layout: layoutOfKib(1) });
    expect(r.errors).toBe(0);
    // Headers only: neither body is read, so the download backs up in the sockets.
    const follow = await fetch(`${s.url}/traces/slow.lct?follow=1`);
    const downloading = await fetch(`${s.url}/traces/big.lct`);
    let closed = false;
    const closing = s.app.close().then(() => (closed = true));
    // Read only once the recording is closed, i.e. the close is past its calls and its recorder.
    while (!s.app.tracing!.recorder.isClosed) await new Promise((res) => setTimeout(res, 10));
    // The download cannot have finished unread: the close is waiting for it, not cutting it.
    expect(closed).toBe(false);
    const [followed, downloaded] = await Promise.all([follow.arrayBuffer(), downloading.arrayBuffer()]);
    await closing;
    expect(closed).toBe(true);
    expect(Buffer.compare(Buffer.from(downloaded), Buffer.from(big))).toBe(0);
    const file = readFileSync(join(s.tracesDir, 'slow.lct'));
    expect(Buffer.compare(Buffer.from(followed), file)).toBe(0);
    const { records, report } = await readTrace(new Uint8Array(followed));
    expect(report.truncated).toBeNull();
    expect(records.length).toBeGreaterThanOrEqual(30);
  });

  it('a download whose client stalls is cut once the close bound passes, and the close finishes', async () => {
    const notices: string[] = [];
    const s = await listen({ objects: 64, app: { closeBounds: { calls: 10_000, responses: 50 }, notice: (m) => notices.push(m) } });
    writeFileSync(join(s.tracesDir, 'big.lct'), new Uint8Array(48 << 20));
    const stalled = await fetch(`${s.url}/traces/big.lct`);
    // A follow of a file no longer recorded reads it to its end: chunked, no length to check.
    const follower = await fetch(`${s.url}/traces/big.lct?follow=1`);
    await s.app.close();
    expect(notices).toEqual(['closing: waiting for 2 downloads to finish (0.05 s at most)', 'closing: 2 downloads still unfinished after 0.05 s; cut']);
    // Cut short is an error to the client, never a whole-looking file.
    await expect(stalled.arrayBuffer()).rejects.toThrow('terminated');
    await expect(follower.arrayBuffer()).rejects.toThrow('terminated');
  });

  it('above the queue bound, drops are counted and records + drops equal the calls', async () => {
    const s = await listen({ objects: 256, trace: 'drops.lct', queueSize: 2 });
    const r = await runWorkload({ url: s.url, requests: 60, concurrency: 8, layout: layoutOfKib(1), documents: 8 });
    expect(r.errors).toBe(0);
    await waitFlushed(s);
    const stats = (await (await fetch(`${s.url}/v1/stats`)).json()) as Record<string, number> & { tracing: Record<string, number> };
    const calls = Object.values(smCalls(stats)).reduce((a, b) => a + b, 0);
    expect(stats.tracing.dropped).toBeGreaterThan(0);
    const { records } = await readTrace(await download(`${s.url}/traces/drops.lct`));
    expect(records.length + (stats.tracing.dropped ?? NaN)).toBe(calls);
    expect(records.length).toBe(stats.tracing.records_written);
  });

  it('raw paths that try to escape the traces directory never reach a file', async () => {
    const s = await listen({ trace: 'x.lct' });
    for (const path of ['/traces/..%2F..%2Fetc%2Fpasswd', '/traces/%2E%2E', '/traces/%2e%2e%2fpackage.json', '/traces/../../../etc/passwd', '/traces/../x', '/traces/..%5C..%5Cetc%5Cpasswd', '/traces/%2Fetc%2Fpasswd', '/traces/%ZZ.lct']) {
      const r = await rawGet(s.url, path);
      expect([400, 403, 404], `${path} -> ${r.status}`).toContain(r.status);
      expect(r.body).not.toMatch(/root:|"workspaces"/);
      // Every refusal names its status and says why (it once answered {"error":"Error"}).
      const body = JSON.parse(r.body) as { error: string; message: string };
      expect(body.error, path).toMatch(/^(Bad Request|Forbidden|Not Found)$/);
      expect(body.message.length, path).toBeGreaterThan(10);
    }
  });
});
