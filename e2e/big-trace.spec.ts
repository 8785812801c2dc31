import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { BIG_RECORDS, BIG_TRACE } from './support/paths.ts';

test('a multi-million-call trace streams rows and scrolls to its last row', async ({ page }) => {
  // Times scale with the size (KVTRACE_E2E_BIG_CALLS): 3M calls by default.
  const scale = Math.max(1, BIG_RECORDS / 3_000_000);
  test.setTimeout(120_000 * scale);
  const app = new InspectorPage(page);
  await app.goto();
  // Rows must be on screen while the file is still loading.
  const seen = page.waitForFunction(
    () => document.querySelector('.app')?.getAttribute('data-state') === 'loading' && document.querySelector('.grid-body [role=row]') !== null,
    undefined,
    { polling: 'raf', timeout: 60_000 },
  );
  await page.goto(`/?trace=${BIG_TRACE}`);
  await seen;
  await app.screenshot('loading');
  await expect(app.root).toHaveAttribute('data-state', 'ready', { timeout: 60_000 * scale });
  expect(await app.records()).toBe(BIG_RECORDS);
  expect(await app.rowCount()).toBe(BIG_RECORDS);
  const scrollHeight = await app.body.evaluate((el) => el.scrollHeight);
  expect(scrollHeight).toBeLessThan(16_000_000);

  // Scrolling the scroller to its end shows the very last call, fully inside the viewport.
  await app.body.evaluate((el) => {
    el.scrollTop = el.scrollHeight;
  });
  const last = app.row(BIG_RECORDS - 1);
  await expect(last).toBeInViewport({ ratio: 1 });
  await expect(last.locator('.c-idx')).toHaveText(String(BIG_RECORDS - 1));
  await app.selectRow(BIG_RECORDS - 1);
  await expect(app.treeItem('keys')).toBeVisible();

  // The middle is reachable too, and the keyboard walks rows one by one there.
  await app.body.evaluate((el) => {
    el.scrollTop = (el.scrollHeight - el.clientHeight) / 2;
  });
  await expect.poll(async () => Number(await app.dataRows().nth(10).getAttribute('aria-rowindex')) - 2).toBeLessThan(BIG_RECORDS * 0.55);
  const mid = Number(await app.dataRows().nth(10).getAttribute('aria-rowindex')) - 2;
  expect(mid).toBeGreaterThan(BIG_RECORDS * 0.45);
  await app.grid.focus();
  await page.keyboard.press('Home');
  await expect(app.row(0)).toBeInViewport();
  await page.keyboard.press('End');
  await expect(app.row(BIG_RECORDS - 1)).toBeInViewport({ ratio: 1 });
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(app.argView).toHaveAttribute('data-index', String(BIG_RECORDS - 2));
  await app.screenshot('big-trace-end');
});
