import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { TRACES_DIR } from './support/paths.ts';
import { countRecords } from './support/trace-facts.ts';

/**
 * Issue 13, gaps 3 and 4 and defect 6: what a link carries, and what it says when part of it is wrong.
 * The compared trace and the open tab in the permalink are checked with Compare, in analysis.spec.ts.
 */

/** Serves one trace from another origin (another port), with or without CORS, with Range. */
async function otherOrigin(cors: boolean): Promise<{ url: string; server: Server }> {
  const bytes = readFileSync(`${TRACES_DIR}/workload-small.lct`);
  const server = createServer((req, res) => {
    const allow: Record<string, string> = cors ? { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'range', 'access-control-expose-headers': 'content-length, content-range' } : {};
    if (req.method === 'OPTIONS') {
      res.writeHead(204, allow).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    if (m) {
      const a = Number(m[1]), b = Math.min(bytes.length - 1, Number(m[2]));
      res.writeHead(206, { ...allow, 'content-range': `bytes ${a}-${b}/${bytes.length}`, 'content-length': String(b - a + 1) }).end(bytes.subarray(a, b + 1));
      return;
    }
    res.writeHead(200, { ...allow, 'content-length': String(bytes.length) }).end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/some/dir/workload-small.lct`, server };
}

test('?url= opens a trace from another site that allows it', async ({ page }) => {
  const other = await otherOrigin(true);
  try {
    const app = new InspectorPage(page);
    await app.goto(`?url=${encodeURIComponent(other.url)}`);
    expect(await app.settled()).toBe('ready');
    expect(await app.records()).toBe(await countRecords(`${TRACES_DIR}/workload-small.lct`));
    await expect(page.locator('.file-name')).toHaveText('workload-small.lct');
    // Arguments are read back from there by range.
    await app.selectRow(3);
    await expect(app.treeItem('keys')).toBeVisible();
    expect(app.url().searchParams.get('url')).toBe(other.url);
  } finally {
    other.server.close();
  }
});

test('?url= to a site without CORS fails with the reason and what to do', async ({ page }) => {
  const other = await otherOrigin(false);
  try {
    const app = new InspectorPage(page);
    await app.goto(`?url=${encodeURIComponent(other.url)}`);
    await app.expectState('failed');
    const msg = page.getByTestId('failed-message');
    await expect(msg).toContainText('Access-Control-Allow-Origin');
    await expect(msg).toContainText(new URL(other.url).origin);
    await expect(msg).toContainText('drop it here');
    await expect(page.locator('h1')).toHaveText('The trace could not be fetched');
    await app.screenshot('url-cors');
  } finally {
    other.server.close();
  }
});

test('bookmarks and their notes travel in the permalink', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.selectRow(5);
  await page.getByTestId('bookmark-toggle').click();
  const note = page.getByRole('textbox', { name: 'Bookmark note' });
  await note.fill('slow enter');
  await note.press('Enter');
  await app.selectRow(12);
  await page.keyboard.press('b');
  await expect.poll(() => app.url().searchParams.getAll('mark')).toEqual(['5:slow enter', '12']);

  await page.reload();
  await app.expectState('ready');
  await app.openTab('Marks');
  const marks = page.getByTestId('marks');
  await expect(marks.locator('.mark')).toHaveCount(2);
  await expect(marks.getByRole('textbox', { name: 'Note on call 5' })).toHaveValue('slow enter');
  await app.screenshot('bookmarks');
  await marks.locator('.mark[data-call="12"] .call-link').click();
  await expect(app.grid.locator('[data-call="12"]')).toHaveAttribute('aria-selected', 'true');
  await marks.getByRole('button', { name: 'Remove the bookmark on call 5' }).click();
  await expect.poll(() => app.url().searchParams.getAll('mark')).toEqual(['12']);
});

test('a link part that is not understood is named, and the rest applies', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct&methods=bogus&t0=soon&sel=99999&tab=nope');
  await app.expectState('ready');
  const banner = page.getByTestId('link-problems');
  await expect(banner).toContainText('methods=bogus');
  await expect(banner).toContainText('no method "bogus"');
  await expect(banner).toContainText('t0=soon');
  await expect(banner).toContainText('sel=99999');
  await expect(banner).toContainText('tab=nope');
  await app.screenshot('link-problems');
  // Not "0 calls": the unknown method is dropped, every call shows.
  await expect.poll(() => app.rowCount()).toBe(await app.records());
  await banner.getByRole('button', { name: 'Dismiss' }).click();
  await expect(banner).toHaveCount(0);
});
