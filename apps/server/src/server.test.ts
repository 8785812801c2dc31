/** The server process: flags, listen line, SIGTERM closes the trace cleanly, SIGKILL loses only the tail. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { startTsx, type StartedProcess } from '@kvtrace/trace/test-support';
import { parseServerFlags, tracePath } from './flags.ts';
import { storageConfigFromFlags, storageConfigFromJson, storageConfigJson } from './storage/index.ts';
import { pythonJsonDumps } from '@kvtrace/trace';
import { tempDir } from './test-support.ts';
import { layoutOfKib, runWorkload } from './workload/index.ts';

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const SERVER = join(ROOT, 'apps/server/src/server.ts');

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Started extends StartedProcess {
  url: Promise<string>;
}

/** The server as a child process (test-support's startTsx), with the URL it listens on. */
function start(args: string[]): Started {
  const p = startTsx(SERVER, args, ROOT);
  cleanups.push(p.stop);
  const url = p.until(/listening on (http:\/\/[^\s]+)/).then((m) => m[1]!);
  url.catch(() => undefined);
  return { ...p, url };
}

describe('flags', () => {
  it('defaults: 127.0.0.1:8080, tracing off, ./traces', () => {
    const f = parseServerFlags([]);
    expect(f).toMatchObject({ host: '127.0.0.1', port: 8080, traceLevel: null, tracesDir: 'traces', demo: null });
  });

  it('--demo turns tracing on; --trace-level off keeps it off', () => {
    expect(parseServerFlags(['--demo'])).toMatchObject({ traceLevel: 'storage', demo: { requests: 300, concurrency: 4 } });
    expect(parseServerFlags(['--demo', '--trace-level', 'off'])).toMatchObject({ traceLevel: null });
  });

  it('refuses unknown trace levels, bad numbers and unknown flags with messages naming the flag', () => {
    expect(() => parseServerFlags(['--trace-level', 'events'])).toThrow(/--trace-level "events" is not a trace level.*storage/);
    expect(() => parseServerFlags(['--port', '99999'])).toThrow(/--port/);
    expect(() => parseServerFlags(['--event-bus-queue-size', '0'])).toThrow(/--event-bus-queue-size/);
    expect(() => parseServerFlags(['--l1-size-gb', 'lots'])).toThrow(/--l1-size-gb must be a number/);
    expect(() => parseServerFlags(['--l1-size-gb=-1'])).toThrow(/--l1-size-gb must be > 0/);
    expect(() => parseServerFlags(['--eviction-policy', 'MRU'])).toThrow(/--eviction-policy must be one of LRU, FIFO/);
    expect(() => parseServerFlags(['--nope'])).toThrow(/nope/);
  });

  it('--trace-max-mb (MiB, fractions allowed), --allowed-host (repeatable, comma lists), negative values reach the rule', () => {
    expect(parseServerFlags(['--trace-max-mb', '0.5', '--allowed-host', 'a.example,.corp.example', '--allowed-host', 'b.example'])).toMatchObject({
      traceMaxBytes: 512 * 1024,
      allowedHosts: ['a.example', '.corp.example', 'b.example'],
    });
    expect(parseServerFlags([])).toMatchObject({ traceMaxBytes: null, allowedHosts: [] });
    expect(() => parseServerFlags(['--trace-max-mb', '0'])).toThrow(/--trace-max-mb must be a number of MiB in \(0, 1048576\], got "0"/);
    expect(() => parseServerFlags(['--trace-max-mb', '-2'])).toThrow(/--trace-max-mb must be a number of MiB.*got "-2"/);
    expect(() => parseServerFlags(['--allowed-host', 'http://x/'])).toThrow(/--allowed-host takes host names/);
    expect(() => parseServerFlags(['--l1-size-gb', '-1'])).toThrow(/--l1-size-gb must be > 0, got -1/);
    expect(() => parseServerFlags(['--port', '-5'])).toThrow(/--port must be an integer from 0 to 65535, got "-5"/);
  });

  it('trace path: default name in the traces dir; bare names there too; paths as given', () => {
    const f = parseServerFlags(['--trace-level', 'storage', '--traces-dir', '/x/t']);
    if (f === 'help') throw new Error('help');
    expect(tracePath(f, 42, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('/x/t/lmcache-trace-42-20260102-030405.lct');
    expect(tracePath({ ...f, traceOutput: 'a.lct' })).toBe('/x/t/a.lct');
    expect(tracePath({ ...f, traceOutput: '/y/b.lct' })).toBe('/y/b.lct');
  });

  it('storage config: flags, header JSON in LMCache style, and back', () => {
    const c = storageConfigFromFlags({ 'l1-size-gb': '8', 'eviction-policy': 'fifo', 'l2-dir': '/tmp/lmcache-l2' });
    expect(c).toMatchObject({ l1SizeGb: 8, evictionPolicy: 'FIFO', l2Dir: '/tmp/lmcache-l2' });
    const json = pythonJsonDumps(storageConfigJson(c));
    expect(json).toContain('"l1_size_gb": 8.0');
    expect(json).toContain('"eviction_policy": "FIFO"');
    expect(storageConfigFromJson(json)).toEqual(c);
    expect(storageConfigFromFlags({ 'l2-dir': '' }).l2Dir).toBeNull();
    expect(() => storageConfigFromFlags({ 'l2-size-gb': '0' })).toThrow(/--l2-size-gb/);
  });
});

describe('server process', () => {
  it('an unknown trace level exits 2 with a clear message', async () => {
    const s = start(['--trace-level', 'verbose']);
    expect(await s.exited).toBe(2);
    expect(s.out()).toMatch(/--trace-level "verbose" is not a trace level this server records \(known: storage/);
  });

  it('SIGTERM: stops, drains the bus, closes the trace, exits 0', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const s = start(['--port', '0', '--trace-level', 'storage', '--traces-dir', join(dir.path, 't'), '--l2-dir', join(dir.path, 'l2')]);
    const url = await s.url;
    expect(s.out()).toMatch(/recording trace to .*lmcache-trace-\d+-\d{8}-\d{6}\.lct/);
    const r = await runWorkload({ url, requests: 40, concurrency: 4, layout: layoutOfKib(1) });
    expect(r.errors).toBe(0);
    const stats = (await (await fetch(`${url}/v1/stats`)).json()) as { tracing: { published: number } };
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    const name = readdirSync(join(dir.path, 't'))[0]!;
    const { records, report } = await new TraceReader(fileStream(join(dir.path, 't', name))).readAll();
    expect(report.truncated).toBeNull();
    expect(records.length).toBe(stats.tracing.published);
    expect(readdirSync(join(dir.path, 'l2'))).toEqual([]);
  });

  it('SIGKILL under load: the trace reads back with every record the server had written', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const s = start(['--port', '0', '--trace-level', 'storage', '--traces-dir', dir.path, '--trace-output', 'killed.lct', '--l2-dir', 'none']);
    const url = await s.url;
    const stop = new AbortController();
    let twenty!: () => void;
    const reached = new Promise<void>((r) => (twenty = r));
    // The plan is lazy: asking for 100,000 requests costs nothing until they are sent.
    const load = runWorkload({ url, requests: 100_000, concurrency: 8, layout: layoutOfKib(1), signal: stop.signal, onRequestDone: (n) => n === 20 && twenty() });
    await reached;
    // Wait (on the server's own count, not a clock) until some batch is on disk.
    let written = 0;
    while (written === 0) written = ((await (await fetch(`${url}/v1/stats`)).json()) as { tracing: { records_written: number } }).tracing.records_written;
    s.child.kill('SIGKILL');
    await s.exited;
    stop.abort();
    const r = await load;
    expect(r.requests).toBeGreaterThanOrEqual(20);
    const bytes = readFileSync(join(dir.path, 'killed.lct'));
    const { records, report } = await new TraceReader(fileStream(join(dir.path, 'killed.lct'))).readAll();
    expect(report.malformed).toBe(0);
    // Writes are synchronous: what the server counted as written before the kill is in the file.
    expect(records.length).toBeGreaterThanOrEqual(written);
    const end = records.length ? records[records.length - 1]!.offset + records[records.length - 1]!.frameBytes : 0;
    if (report.truncated) expect(report.truncated.offset).toBe(end);
    else expect(end).toBe(bytes.length);
  });

  it('--demo prints the count the file holds and the link only once the demo is done and flushed', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const s = start(['--port', '0', '--demo', '--demo-requests', '12', '--traces-dir', dir.path, '--trace-output', 'demo.lct', '--l2-dir', 'none']);
    await s.url;
    await s.until(/demo done: open (\S+)/);
    const out = s.out();
    const printed = Number(/trace records\s+(\d+) written, 0 dropped/.exec(out)?.[1]);
    expect(out.indexOf('trace records')).toBeLessThan(out.indexOf('demo done'));
    expect(/demo done: open (\S+)/.exec(out)![1]).toMatch(/\/\?trace=demo\.lct$/);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.out()).toMatch(new RegExp(`trace closed: ${printed} records written, 0 dropped, .*demo\\.lct`));
    const { records } = await new TraceReader(fileStream(join(dir.path, 'demo.lct'))).readAll();
    expect(records.length).toBe(printed);
    expect(printed).toBeGreaterThan(12 * 3);
  });

  it('a --trace-output outside --traces-dir is listed and served at /traces, and the start says where the list looks', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const outsidePath = join(dir.path, 'elsewhere', 'mine.lct');
    const s = start(['--port', '0', '--trace-level', 'storage', '--traces-dir', join(dir.path, 'listed'), '--trace-output', outsidePath, '--l2-dir', 'none']);
    const url = await s.url;
    await s.until(/traces listed at/);
    expect(s.out()).toContain(`traces listed at ${url}/traces from ${join(dir.path, 'listed')} (and this recording, kept outside it)`);
    await runWorkload({ url, requests: 5, concurrency: 1, layout: layoutOfKib(1) });
    const list = (await (await fetch(`${url}/traces`)).json()) as { traces: { name: string; outside_traces_dir: boolean; recording: boolean }[] };
    expect(list.traces).toEqual([expect.objectContaining({ name: 'mine.lct', outside_traces_dir: true, recording: true })]);
    const res = await fetch(`${url}/traces/mine.lct`);
    expect(res.status).toBe(200);
    const { records } = await new TraceReader(res.body!).readAll();
    expect(records.length).toBeGreaterThan(0);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('an unwritable --l2-dir names the true cause; a negative size gets the size rule, not a parser riddle', async () => {
    const flagged = start(['--l1-size-gb', '-1']);
    expect(await flagged.exited).toBe(2);
    expect(flagged.out()).toMatch(/--l1-size-gb must be > 0, got -1/);
    const dir = tempDir();
    cleanups.push(dir.remove);
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'x');
    const s = start(['--port', '0', '--l2-dir', join(file, 'l2'), '--traces-dir', join(dir.path, 't')]);
    expect(await s.exited).toBe(1);
    expect(s.out()).toMatch(/cannot start: --l2-dir .*a-file\/l2 cannot be created: .*a-file: a path component is a file, not a directory \(ENOTDIR\)/);
  });
});
