import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerUrl, run as collectCmd } from '../commands/collect.ts';
import { collectTraces } from './collect.ts';
import { COLLECT_MARKER } from './server-name.ts';
import { fixtureBytes as fixture, headerOf } from '@kvtrace/trace/test-support';
import { captureRun } from '../test-support/capture-run.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-collect-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trace = fixture('workload-small.lct');
const h = headerOf(trace);

interface Fake {
  url: URL;
  server: Server;
  /** Range headers of the file requests, in order. */
  ranges: (string | null)[];
}

/** A stand-in for a server's /traces: a listing and files, with the misbehaviours asked for. */
async function fake(files: Record<string, Uint8Array>, o: { listing?: unknown; ignoreRange?: boolean; cutAfter?: number; recording?: string[] } = {}): Promise<Fake> {
  const ranges: (string | null)[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    if (path === '/traces') {
      const listing = o.listing ?? {
        traces: Object.entries(files).map(([name, b]) => ({ name, size: b.length, recording: o.recording?.includes(name) ?? false, header: { t_wall_start: h.t_wall_start, sm_config_digest: h.sm_config_digest }, error: null })),
      };
      res.setHeader('content-type', 'application/json');
      res.end(typeof listing === 'string' ? listing : JSON.stringify(listing));
      return;
    }
    const name = path.replace(/^\/traces\//, '');
    const bytes = files[name];
    if (!bytes) return void res.writeHead(404).end('{"message":"no trace"}');
    ranges.push(req.headers.range ?? null);
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    let start = 0;
    if (m && !o.ignoreRange) {
      start = Number(m[1]);
      if (start > bytes.length) return void res.writeHead(416).end();
      res.writeHead(206, { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}`, 'content-length': bytes.length - start });
    } else res.writeHead(200, { 'content-length': bytes.length });
    const body = bytes.subarray(start);
    if (o.cutAfter !== undefined) {
      res.write(body.subarray(0, o.cutAfter));
      // Sent, then the connection dies: the client sees fewer bytes than promised.
      res.once('drain', () => res.destroy());
      setImmediate(() => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  servers.push(server);
  return { url: new URL(`http://127.0.0.1:${port}/`), server, ranges };
}
const servers: Server[] = [];
/** Closes a fake with its keep-alive sockets (a client's pooled connection must not reach the old handler). */
function stop(s: Server): Promise<void> {
  s.closeAllConnections();
  return new Promise((r) => s.close(() => r()));
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.listening ? stop(s) : undefined)));
});

describe('collectTraces', () => {
  it('downloads each file into a folder per server, with the marker that names the server', async () => {
    const f = await fake({ 'a.lct': trace, 'a.000001.lct': trace.subarray(0, 5000) });
    const out = join(dir, 'plain');
    const [s] = await collectTraces({ urls: [f.url], outDir: out });
    expect(s!.error).toBeNull();
    expect(s!.files.map((x) => [x.name, x.status, x.fetched])).toEqual([
      ['a.lct', 'downloaded', trace.length],
      ['a.000001.lct', 'downloaded', 5000],
    ]);
    expect(readFileSync(join(s!.dir, 'a.lct')).equals(trace)).toBe(true);
    expect(JSON.parse(readFileSync(join(s!.dir, COLLECT_MARKER), 'utf8'))).toEqual({ server: s!.server, url: f.url.href });
    // A second run fetches nothing.
    const [again] = await collectTraces({ urls: [f.url], outDir: out });
    expect(again!.files.map((x) => x.status)).toEqual(['up to date', 'up to date']);
    expect(f.ranges).toHaveLength(2);
  });

  it('continues an interrupted download with a Range request from the last byte it has', async () => {
    const f = await fake({ 't.lct': trace });
    const out = join(dir, 'resume');
    const folder = join(out, `127.0.0.1-${f.url.port}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 't.lct.part'), trace.subarray(0, 12345));
    const [s] = await collectTraces({ urls: [f.url], outDir: out });
    expect(f.ranges).toEqual(['bytes=12345-']);
    expect(s!.files[0]).toMatchObject({ status: 'resumed', fetched: trace.length - 12345 });
    expect(readFileSync(join(folder, 't.lct')).equals(trace)).toBe(true);
    expect(existsSync(join(folder, 't.lct.part'))).toBe(false);
  });

  it('a server that ignores Range: the file is written from its start, not appended twice', async () => {
    const f = await fake({ 't.lct': trace }, { ignoreRange: true });
    const out = join(dir, 'norange');
    const folder = join(out, `127.0.0.1-${f.url.port}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 't.lct.part'), trace.subarray(0, 999));
    await collectTraces({ urls: [f.url], outDir: out });
    expect(readFileSync(join(folder, 't.lct')).equals(trace)).toBe(true);
  });

  it('a connection that dies mid-file: failed, what arrived kept as .part, and the next run completes it', async () => {
    const out = join(dir, 'cut');
    const bad = await fake({ 't.lct': trace }, { cutAfter: 40_000 });
    const [s] = await collectTraces({ urls: [bad.url], outDir: out });
    expect(s!.files[0]!.status).toBe('failed');
    expect(s!.files[0]!.reason).toMatch(/kept in t\.lct\.part; run collect again to continue/);
    const folder = join(out, `127.0.0.1-${bad.url.port}`);
    const kept = readFileSync(join(folder, 't.lct.part'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.equals(trace.subarray(0, kept.length))).toBe(true);
    expect(existsSync(join(folder, 't.lct'))).toBe(false);
    // The same server (same port, so the same folder), now healthy.
    const port = Number(bad.url.port);
    await stop(bad.server);
    const good = await fakeOnPort({ 't.lct': trace }, port);
    const [again] = await collectTraces({ urls: [good.url], outDir: out });
    expect(again!.files[0]).toMatchObject({ status: 'resumed', fetched: trace.length - kept.length });
    expect(readFileSync(join(folder, 't.lct')).equals(trace)).toBe(true);
  });

  it('a live recording that grew since the last run is continued, and said to be live', async () => {
    const out = join(dir, 'live');
    const first = await fake({ 'r.lct': trace.subarray(0, 50_000) }, { recording: ['r.lct'] });
    const [s] = await collectTraces({ urls: [first.url], outDir: out });
    expect(s!.files[0]).toMatchObject({ status: 'downloaded', live: true });
    expect(s!.files[0]!.reason).toMatch(/still recording/);
    const port = Number(first.url.port);
    await stop(first.server);
    const later = await fakeOnPort({ 'r.lct': trace }, port);
    const [again] = await collectTraces({ urls: [later.url], outDir: out });
    expect(later.ranges).toEqual(['bytes=50000-']);
    expect(again!.files[0]).toMatchObject({ status: 'resumed', live: false, fetched: trace.length - 50_000 });
    expect(readFileSync(join(s!.dir, 'r.lct')).equals(trace)).toBe(true);
  });

  it("a downloaded file without a valid header is refused and not kept; the server's unreadable files are skipped", async () => {
    const junk = new TextEncoder().encode('<html>not a trace</html>');
    const f = await fake({ 'j.lct': junk }, {
      listing: {
        traces: [
          { name: 'j.lct', size: junk.length, recording: false, header: { t_wall_start: 1, sm_config_digest: '' }, error: null },
          { name: 'k.lct', size: 0, recording: true, header: null, error: 'empty file: unexpected EOF reading frame length' },
        ],
      },
    });
    const [s] = await collectTraces({ urls: [f.url], outDir: join(dir, 'junk') });
    expect(s!.files.map((x) => [x.name, x.status])).toEqual([
      ['j.lct', 'failed'],
      ['k.lct', 'skipped'],
    ]);
    expect(s!.files[0]!.reason).toMatch(/no valid header/);
    expect(s!.files[1]!.reason).toMatch(/empty file/);
    expect(existsSync(join(s!.dir, 'j.lct'))).toBe(false);
    expect(existsSync(join(s!.dir, 'j.lct.part'))).toBe(false);
  });

  it('a listing is untrusted: names that leave the folder, sizes that are not sizes, answers that are not JSON', async () => {
    const cases: [unknown, RegExp][] = [
      [{ traces: [{ name: '../evil.lct', size: 1 }] }, /traces\[0\]\.name must be a file name ending in \.lct, got "\.\.\/evil\.lct"/],
      [{ traces: [{ name: '.hidden.lct', size: 1 }] }, /traces\[0\]\.name must be a file name/],
      [{ traces: [{ name: 'a.lct', size: -1 }] }, /traces\[0\]\.size must be a non-negative integer, got -1/],
      [{ nope: [] }, /the answer has no "traces" list/],
      ['<html>', /did not answer JSON/],
    ];
    for (const [listing, msg] of cases) {
      const f = await fake({}, { listing });
      const [s] = await collectTraces({ urls: [f.url], outDir: join(dir, 'untrusted') });
      expect(s!.error).toMatch(msg);
      expect(existsSync(join(dir, 'untrusted', '..', 'evil.lct'))).toBe(false);
    }
  });
});

describe('kvtrace collect', () => {
  it('an unreachable server is reported and exit 1, the others are still collected', async () => {
    const f = await fake({ 't.lct': trace });
    const closed = await fake({});
    const deadPort = closed.url.port;
    await stop(closed.server);
    const r = await captureRun(collectCmd, '--from', `${f.url.href},127.0.0.1:${deadPort}`, '--out', join(dir, 'cmd'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`127\\.0\\.0\\.1:${deadPort}/: cannot reach .*ECONNREFUSED`));
    expect(r.out).toMatch(/: 1 file\(s\) in .*: 1 downloaded, 0 resumed, 0 up to date; 1\.02 MB fetched\n$/);
    expect(readFileSync(join(dir, 'cmd', `127.0.0.1-${f.url.port}`, 't.lct')).equals(trace)).toBe(true);
  });

  it('usage: URLs are checked, the same server twice is refused, --out is required', async () => {
    expect(parseServerUrl('10.0.0.5:8080')).toEqual(new URL('http://10.0.0.5:8080'));
    expect(parseServerUrl('ftp://x')).toMatch(/only http and https/);
    expect(parseServerUrl('http://x/?a=1')).toMatch(/without \? or #/);
    expect((await captureRun(collectCmd, '--out', dir)).code).toBe(2);
    expect((await captureRun(collectCmd, '--from', 'http://a:1')).code).toBe(2);
    const same = await captureRun(collectCmd, '--from', 'http://127.0.0.1:9,127.0.0.1:9', '--out', join(dir, 'same'));
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/are the same server \(127\.0\.0\.1-9\)/);
  });
});

async function fakeOnPort(files: Record<string, Uint8Array>, port: number): Promise<Fake> {
  const f = await fake(files);
  // Re-listen on the port the earlier fake had: the folder is named after host and port.
  await stop(f.server);
  await new Promise<void>((r) => f.server.listen(port, '127.0.0.1', r));
  return { ...f, url: new URL(`http://127.0.0.1:${port}/`) };
}
