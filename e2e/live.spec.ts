import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { ROOT, SERVER_TS } from './support/paths.ts';

/**
 * Live follow against a real recording: a second apps/server with tracing on (its own port and
 * traces directory), driven by `kvtrace workload`, opened with `?trace=NAME&follow=1`.
 */
function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

function listening(p: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
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

test('live follow: calls arrive while the server records, filters keep up', async ({ page }) => {
  test.setTimeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'kvtrace-live-'));
  const server = start([SERVER_TS, '--host', '127.0.0.1', '--port', '0', '--traces-dir', dir, '--trace-level', 'storage']);
  let workload: ChildProcess | null = null;
  try {
    const url = await listening(server);
    workload = start(['apps/cli/src/main.ts', 'workload', '--url', url, '--requests', '100000', '--concurrency', '2', '--chunk-kb', '4']);
    let name = '';
    await expect
      .poll(async () => {
        const body = (await (await fetch(`${url}/traces`)).json()) as { traces: { name: string; recording: boolean; size: number }[] };
        name = body.traces.find((t) => t.recording && t.size > 1000)?.name ?? '';
        return name;
      }, { timeout: 30_000 })
      .not.toBe('');

    const app = new InspectorPage(page);
    await page.goto(`${url}/?trace=${encodeURIComponent(name)}&follow=1`);
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

    // The recording closes with the server: the stream ends (cleanly, or cut if the server had to
    // drop connections) and the calls read so far stay.
    workload.kill('SIGTERM');
    server.kill('SIGTERM');
    expect(['ready', 'partial']).toContain(await app.settled());
    expect(await app.records()).toBeGreaterThan(first);
    await expect(page.getByTestId('live-badge')).toHaveCount(0);
  } finally {
    workload?.kill('SIGKILL');
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
