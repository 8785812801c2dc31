import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryLayoutDesc } from '@kvtrace/trace';
import { buildApp } from '@kvtrace/server';
import { storageConfigFromFlags } from '@kvtrace/server/storage';
import { chunkedStream, trafficTrace } from '@kvtrace/trace/test-support';
import { replayTrace } from './run-replay.ts';
import { HttpTarget } from './target-http.ts';
import { JsonHttpClient } from './http-client.ts';
import { LocalTarget } from './target-local.ts';

type App = Awaited<ReturnType<typeof buildApp>>;

describe('replay --url against a running kvtrace server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-replay-http-'));
  const flags = { 'l1-size-gb': String((48 * 64 * 1024) / 2 ** 30), 'l2-dir': 'none' };
  const config = storageConfigFromFlags(flags);
  const recorded = join(dir, 'server.lct');
  let app: App;
  let url: string;
  const { bytes: workload, summary } = trafficTrace({ requests: 80, keysPerCall: 8, layout: new MemoryLayoutDesc([[8, 4096]], ['torch.float16']) });

  beforeAll(async () => {
    app = await buildApp({ storage: config, tracesDir: join(dir, 'traces'), tracing: { path: recorded } });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a refused request is an error with the status and the server\'s message; answers are JSON', async () => {
    const http = new JsonHttpClient(new URL(`${url}/v1/`));
    try {
      // A route that does not exist: refused before the storage manager (nothing recorded, no counter moves).
      await expect(http.request('POST', 'no_such_route', {})).rejects.toThrow(/^HTTP 404 from \/v1\/no_such_route: /);
      expect(await http.request('GET', 'stats')).toMatchObject({ l1_hits: expect.any(Number) });
    } finally {
      http.close();
    }
  });

  it('replays every record over HTTP with the same L1 outcome as in process; exits are counted, not timed', async () => {
    const http = await replayTrace(chunkedStream(workload), await HttpTarget.connect(url, 1 << 20), { speed: 0 });
    const local = await replayTrace(chunkedStream(workload), new LocalTarget(config), { speed: 0 });
    expect(http).toMatchObject({ records: summary.records, replayed: summary.records, skipped: 0, failed: 0 });
    expect(http.dataBytes).toBe(local.dataBytes);
    for (const k of ['l1_hits', 'l1_misses', 'evictions', 'bytes_read'] as const) expect(http.stats[k], k).toBe(local.stats[k]);
    expect(http.config.match).toBe('no config in trace');
    const exit = http.ops['read_prefetched_results.__exit__']!;
    expect(exit.count).toBe(summary.byMethod['read_prefetched_results.__exit__']);
    expect(exit.count).toBeGreaterThan(0);
    expect(exit.p50).toBeNaN();
  });

  it('the trace our server recorded meanwhile replays in process with a matching config digest and the same hits', async () => {
    const before = (await (await fetch(`${url}/v1/stats`)).json()) as Record<string, number>;
    await app.close();
    const bytes = new Uint8Array(readFileSync(recorded));
    const r = await replayTrace(chunkedStream(bytes, [65536]), new LocalTarget(config), { speed: 0 });
    expect(r.failed).toBe(0);
    expect(r.skipped).toBe(0);
    expect(r.records).toBe(summary.records);
    expect(r.config.match).toBe('match');
    // The server served the workload once (first test): a fresh manager replaying its trace decides the same.
    expect(r.stats.l1_hits).toBe(before.l1_hits);
    expect(r.stats.evictions).toBe(before.evictions);
  });

  it('an unreachable server is a clear error', async () => {
    await expect(HttpTarget.connect('http://127.0.0.1:9', 0)).rejects.toThrow(/cannot reach the server/);
  });
});
