/**
 * `kvtrace analyze` against the storage manager's own lock table (issue 10): the real server,
 * traced, under `kvtrace workload` at concurrency 8; some locks deliberately left held through the
 * HTTP API; `/v1/stats` says how many keys hold a lock right now (l1_read_locked, l1_write_locked);
 * SIGTERM; then the analysis of the file must bracket those figures: leaked <= held <= leaked +
 * undecided, every read lock left held after an enter/exit called leaked, and nothing leaked or
 * undecided on a run that leaves nothing held.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runTsx, startTsx, type StartedProcess } from '@kvtrace/trace/test-support';
import type { AnalysisJson } from './report.ts';

const ROOT = resolve(fileURLToPath(new URL('../../../..', import.meta.url)));
const SERVER = join(ROOT, 'apps/server/src/server.ts');
const CLI = join(ROOT, 'apps/cli/src/main.ts');
const LAYOUT = { shapes: [[1, 512]], dtypes: ['torch.float16'] };
const key = (n: number) => ({ chunk_hash: `beef${n.toString(16).padStart(4, '0')}`, model_name: 'ground/truth' });

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function serve(extra: string[] = []): Promise<{ s: StartedProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-truth-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  // A small L1 (evictions, refused reservations) and an L2 (loads that make reads wait).
  const s = startTsx(SERVER, ['--port', '0', '--trace-level', 'storage', '--traces-dir', join(dir, 'traces'), '--l2-dir', join(dir, 'l2'), '--l1-size-gb', '0.004', ...extra], ROOT);
  cleanups.push(s.stop);
  const url = (await s.until(/listening on (http:\/\/\S+)/))[1]!;
  return { s, url, dir };
}

async function post(url: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  expect(r.status, `${path}: ${await r.clone().text()}`).toBe(200);
  return (await r.json()) as Record<string, unknown>;
}

/** The workload's own account (--json): what the server answered it, e.g. the stores it refused whole. */
async function workload(url: string): Promise<{ keysRefusedWhole: number; storesRefusedWhole: number; errors: number }> {
  const w = await runTsx(CLI, ['workload', '--url', url, '--requests', '150', '--concurrency', '8', '--chunk-kb', '16', '--seed', '3', '--json'], ROOT);
  expect(w.code, w.stdout + w.stderr).toBe(0);
  return JSON.parse(w.stdout.trim()) as { keysRefusedWhole: number; storesRefusedWhole: number; errors: number };
}

/** Stops the server (SIGTERM: the trace is closed cleanly) and analyses its trace with the CLI. */
async function stopAndAnalyze(s: StartedProcess, dir: string): Promise<AnalysisJson> {
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  const [file] = readdirSync(join(dir, 'traces')).filter((f) => f.endsWith('.lct'));
  const a = await runTsx(CLI, ['analyze', join(dir, 'traces', file!), '--json'], ROOT);
  expect(a.code, a.stderr).toBe(0);
  return JSON.parse(a.stdout.trim()) as AnalysisJson;
}

describe('kvtrace analyze against the server lock table', () => {
  it('locks left held: leaked <= held <= leaked + undecided, reads left after enter/exit are leaked', async () => {
    const { s, url, dir } = await serve();
    await workload(url);
    // Write locks left: a reservation never finished.
    const res = await post(url, '/v1/reserve_write', { keys: [key(1), key(2), key(3)], layout: LAYOUT, mode: 'new' });
    expect(res['reserved']).toBe(3);
    // Objects to read: written and finished.
    for (const n of [10, 11, 12, 13, 14]) {
      await post(url, '/v1/reserve_write', { keys: [key(n)], layout: LAYOUT, mode: 'new' });
      await post(url, '/v1/finish_write', { keys: [key(n)] });
    }
    // A read lock taken and never read or released (undecided), and two read (enter/exit) and never released (leaked),
    // one of them with extra_count 1 (two locks).
    await post(url, '/v1/submit_prefetch_task', { keys: [key(10)], layout: LAYOUT, external_request_id: 'held-unread' });
    await post(url, '/v1/submit_prefetch_task', { keys: [key(11), key(12), key(99)], layout: LAYOUT, external_request_id: 'held-read', extra_count: 1 });
    await post(url, '/v1/read_prefetched_results', { keys: [key(11), key(12)] });
    const stats = (await (await fetch(`${url}/v1/stats`)).json()) as { l1_read_locked: number; l1_write_locked: number };
    expect(stats.l1_write_locked).toBe(3);
    expect(stats.l1_read_locked).toBe(3);

    const a = await stopAndAnalyze(s, dir);
    const l = a.lifecycles;
    expect(l.reads_leaked).toBeLessThanOrEqual(stats.l1_read_locked);
    expect(stats.l1_read_locked).toBeLessThanOrEqual(l.reads_leaked + l.reads_undecided);
    expect(l.writes_leaked).toBeLessThanOrEqual(stats.l1_write_locked);
    expect(stats.l1_write_locked).toBeLessThanOrEqual(l.writes_leaked + l.writes_undecided);
    // The two keys read and never released are proven held.
    expect(l.reads_leaked).toBe(2);
    expect(a.flags.read_leaked).toBe(2);
    expect(a.requests.leaked).toBe(1);
    // Read wait is per request: no wait longer than the whole run.
    expect(a.phases.read_wait.count).toBeGreaterThan(100);
    expect(a.phases.read_wait.max_ms!).toBeLessThan(a.phases.read.max_ms! + 1e-9);
  }, 240_000);

  it('a run that leaves nothing held: nothing leaked; undecided only where the server refused a store whole', async () => {
    const { s, url, dir } = await serve();
    const w = await workload(url);
    expect(w.errors).toBe(0);
    const stats = (await (await fetch(`${url}/v1/stats`)).json()) as { l1_read_locked: number; l1_write_locked: number };
    expect(stats).toMatchObject({ l1_read_locked: 0, l1_write_locked: 0 });
    const a = await stopAndAnalyze(s, dir);
    expect(a.lifecycles).toMatchObject({ reads_leaked: 0, writes_leaked: 0, reads_undecided: 0 });
    // A store refused whole (every key exists, locked or no space: a race of the 8 workers, or a
    // full L1) reserves nothing and is never finished; entry-only records cannot tell it from a
    // write lock still held, so its keys may be undecided, and only those (the client's own count).
    expect(a.lifecycles.writes_undecided).toBeLessThanOrEqual(w.keysRefusedWhole);
    expect(a.flags.read_leaked + a.flags.enter_without_submit + a.flags.exit_without_enter + a.flags.release_without_lock + a.flags.finish_without_reserve).toBe(0);
    expect(a.requests.total).toBeGreaterThanOrEqual(150);
  }, 240_000);

  it('the demo (npm start -- --demo) shows no leak and no anomaly', async () => {
    const { s, dir } = await serve(['--demo', '--demo-requests', '120']);
    await s.until(/demo done/);
    const a = await stopAndAnalyze(s, dir);
    expect(a.requests.total).toBeGreaterThanOrEqual(120);
    expect(a.flags.read_leaked).toBe(0);
    expect(a.flags.enter_without_submit + a.flags.exit_without_enter + a.flags.release_without_lock + a.flags.finish_without_reserve).toBe(0);
  }, 240_000);
});
