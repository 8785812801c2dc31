import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { ROOT, SERVER_TS } from './support/paths.ts';
import { countRecords } from './support/trace-facts.ts';

/**
 * Live follow against a real recording: a second apps/server with tracing on (its own port and
 * traces directory), driven by `kvtrace workload`, opened with `?trace=NAME&follow=1`. Every
 * committed frame must reach the page whether the recorder is busy, idle, or closing (issue 13,
 * defect 1); the expected count is read from the file itself.
 */
/** What each started process printed, for a failed test's attachments. */
const printed = new Map<ChildProcess, { name: string; out: string[] }>();

function start(args: string[]): ChildProcess {
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = { name: args[0]!, out: [] as string[] };
  printed.set(p, log);
  p.stdout!.on('data', (b: Buffer) => log.out.push(b.toString()));
  p.stderr!.on('data', (b: Buffer) => log.out.push(b.toString()));
  return p;
}

/** On a failure: what the server and the workload said (their close lines above all) goes with the report. */
async function withOutputs<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    // Printed as well: CI keeps only the console, and the reporter shortens attachments there.
    for (const { name, out } of printed.values()) process.stderr.write(`--- output of ${name} ---\n${out.join('')}\n`);
    throw e;
  } finally {
    printed.clear();
  }
}

function listening(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 90_000);
    const on = (b: Buffer) => {
      out += b.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    p.stdout!.on('data', on);
    p.stderr!.on('data', on);
    p.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

const exited = (p: ChildProcess): Promise<void> => new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));

interface Listed {
  name: string;
  recording: boolean;
  size: number;
}
const listing = async (url: string): Promise<Listed[]> => ((await (await fetch(`${url}/traces`)).json()) as { traces: Listed[] }).traces;

/** A tracing server in a fresh directory, and what to clean up. */
async function tracingServer() {
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-live-'));
  const server = start([SERVER_TS, '--host', '127.0.0.1', '--port', '0', '--traces-dir', dir, '--trace-level', 'storage']);
  const url = await listening(server);
  return { dir, server, url };
}

async function recordingName(url: string): Promise<string> {
  let name = '';
  await expect
    .poll(async () => (name = (await listing(url)).find((t) => t.recording && t.size > 1000)?.name ?? ''), { timeout: 90_000 })
    .not.toBe('');
  return name;
}

interface Followed {
  dir: string;
  server: ChildProcess;
  workload: ChildProcess;
  name: string;
  app: InspectorPage;
}

/**
 * A tracing server under `kvtrace workload` traffic (20,000 requests of 4 KiB chunks at `concurrency`),
 * its recording opened live (`?follow=1`) once it has calls; everything is killed and removed after `body`.
 */
async function followUnderTraffic(page: Page, concurrency: number, body: (f: Followed) => Promise<void>): Promise<void> {
  const { dir, server, url } = await tracingServer();
  const workload = start(['apps/cli/src/main.ts', 'workload', '--url', url, '--requests', '20000', '--concurrency', String(concurrency), '--chunk-kb', '4']);
  try {
    await withOutputs(async () => {
      const name = await recordingName(url);
      const app = new InspectorPage(page);
      await page.goto(`${url}/?trace=${encodeURIComponent(name)}&follow=1`);
      await body({ dir, server, workload, name, app });
    });
  } finally {
    workload.kill('SIGKILL');
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

test('live follow: calls arrive while the server records, filters keep up', async ({ page }) => {
  test.setTimeout(240_000);
  await followUnderTraffic(page, 2, async ({ app }) => {
    await expect(page.getByTestId('live-badge')).toBeVisible();
    await expect.poll(() => app.records()).toBeGreaterThan(0);
    const first = await app.records();
    await expect.poll(() => app.records(), { timeout: 20_000 }).toBeGreaterThan(first + 50);
    expect(app.url().searchParams.get('follow')).toBe('1');

    // A filter on a live trace is re-run as calls arrive.
    await app.methodToggle('finish_write').click({ modifiers: ['Alt'] });
    await app.filtered();
    const filtered = await app.rowCount();
    await expect.poll(() => app.rowCount(), { timeout: 20_000 }).toBeGreaterThan(filtered);
    await app.screenshot('live-follow');
  });
});

test('live follow of an idle recording gets every committed call; Stop leaves a link that is not live', async ({ page }) => {
  test.setTimeout(240_000);
  const { dir, server, url } = await tracingServer();
  try {
    await withOutputs(async () => {
      const workload = start(['apps/cli/src/main.ts', 'workload', '--url', url, '--requests', '200', '--concurrency', '4']);
      await exited(workload);
      expect(workload.exitCode).toBe(0);
      const name = await recordingName(url);
      const path = join(dir, name);
      // Idle: the recorder has flushed its last batch once what the server lists is all of the file.
      await expect.poll(async () => (await listing(url)).find((t) => t.name === name)!.size === statSync(path).size).toBe(true);
      const expected = await countRecords(path);
      expect(expected).toBeGreaterThan(500);

      const app = new InspectorPage(page);
      // The server list: the "recording" badge keeps its distance from the level beside it (defect 6).
      await page.goto(`${url}/`);
      const row = page.getByTestId('server-traces').getByRole('row').filter({ hasText: name });
      const badge = (await row.locator('.badge', { hasText: 'recording' }).boundingBox())!;
      const level = (await row.locator('.status-cell .muted').boundingBox())!;
      expect(level.x - (badge.x + badge.width)).toBeGreaterThanOrEqual(4);
      await app.screenshot('server-list-recording');

      await row.getByRole('button', { name }).click();
      await expect.poll(() => app.url().searchParams.get('follow')).toBe('1');
      await expect(page.getByTestId('live-badge')).toBeVisible();
      // Nothing more is coming: the tail must arrive without a next chunk to push it.
      await expect.poll(() => app.records(), { timeout: 20_000 }).toBe(expected);
      await expect(page.getByTestId('live-badge')).toContainText(expected.toLocaleString('en-US'));

      await page.getByRole('button', { name: 'Stop' }).click();
      expect(await app.settled()).toBe('partial');
      await expect.poll(() => app.url().searchParams.get('follow')).toBeNull();
      expect(app.url().searchParams.get('trace')).toBe(name);
      expect(await app.records()).toBe(expected);

      // The link now reopens the trace as it is, not live.
      await page.reload();
      expect(await app.settled()).toBe('ready');
      await expect(page.getByTestId('live-badge')).toHaveCount(0);
      expect(await app.records()).toBe(expected);
    });
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a recording closed while followed ends the follow with every call of the file', async ({ page }) => {
  test.setTimeout(240_000);
  await followUnderTraffic(page, 2, async ({ dir, server, workload, name, app }) => {
    await expect.poll(() => app.records(), { timeout: 20_000 }).toBeGreaterThan(50);

    // The traffic stops, then the server closes the recording (Ctrl-C).
    workload.kill('SIGTERM');
    await exited(workload);
    server.kill('SIGTERM');
    await exited(server);
    const expected = await countRecords(join(dir, name));
    expect(await app.settled()).toBe('ready');
    expect(await app.records()).toBe(expected);
    await expect(page.getByTestId('live-badge')).toHaveCount(0);
    expect(app.url().searchParams.get('follow')).toBeNull();
  });
});

test('a recording closed under traffic ends the follow with every call of the file', async ({ page }) => {
  test.setTimeout(240_000);
  await followUnderTraffic(page, 4, async ({ dir, server, workload, name, app }) => {
    await expect.poll(() => app.records(), { timeout: 20_000 }).toBeGreaterThan(50);

    // Ctrl-C while requests are in flight: the server drains them, then closes the recording. The
    // calls written while it closes are committed frames too, and must reach the follower.
    server.kill('SIGTERM');
    await exited(server);
    workload.kill('SIGKILL');
    const expected = await countRecords(join(dir, name));
    expect(await app.settled()).toBe('ready');
    expect(await app.records()).toBe(expected);
  });
});
