import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { LEAKED_WRITE_KEY, LIFECYCLE_TRACE, keyHashHex } from './support/gen-lifecycle-trace.ts';

/**
 * The analysis features over lifecycles-leak.lct (support/gen-lifecycle-trace.ts), whose layout is
 * known: calls 0-19 are writes (reserve 4+4 keys, finish 4+4), call 5 reserves keys 12-15 and key 13
 * is never finished; calls 20-58 are reads, request 7 (calls 48-50) is never released.
 */
const LEAK_CALL = 5;

test('a leaked write lock is flagged and its call is one click away', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto(`?trace=${LIFECYCLE_TRACE}`);
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Lifecycles');
  const leakedWrite = page.locator('[data-flag=leaked_write]');
  await expect(leakedWrite).toContainText('Leaked write lock');
  await expect(leakedWrite.locator('.badge').first()).toHaveText('1');
  await expect(page.locator('[data-flag=leaked_read] .badge').first()).toHaveText('4');
  await expect(page.getByRole('tab', { name: /Lifecycles/ }).locator('.tab-dot')).toBeVisible();
  await app.screenshot('lifecycles-flags');

  await leakedWrite.locator(`.call-link[data-call="${LEAK_CALL}"]`).click();
  await expect(app.grid.locator(`[data-call="${LEAK_CALL}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(app.url().searchParams.get('sel')).toBe(String(LEAK_CALL));

  // "follow key" from the flag: only the calls touching key 13, its write lifecycle open.
  await leakedWrite.getByRole('button', { name: 'follow key' }).click();
  await app.filtered();
  await app.openTab('Key');
  await expect(page.getByTestId('key-view')).toContainText(keyHashHex(LEAKED_WRITE_KEY));
  await expect(page.getByTestId('key-view').locator('[data-flag=leaked_write]')).toBeVisible();
  await expect(page.getByTestId('key-view').locator('.lifecycle[data-kind=write]')).toHaveClass(/is-open/);
});

test('follow a key from the argument view', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto(`?trace=${LIFECYCLE_TRACE}`);
  await app.expectState('ready');
  await app.indexed();
  await app.selectRow(0);
  await app.treeItem('[0]').first().getByRole('button', { name: 'follow' }).click();
  await expect(page.getByTestId('key-chip')).toContainText(keyHashHex(0).slice(0, 12));
  await app.filtered();
  // Key 0: reserve (0), finish (2), prefetch/enter/exit/release of read request 0 (20-23).
  await expect.poll(() => app.rowCount()).toBe(6);
  expect(await app.renderedCalls()).toEqual([0, 2, 20, 21, 22, 23]);
  await expect(page.getByRole('tab', { name: 'Key', exact: true })).toHaveAttribute('aria-selected', 'true');
  const view = page.getByTestId('key-view');
  await expect(view.locator('.lifecycle')).toHaveCount(2);
  await expect(view.locator('.lifecycle.is-open')).toHaveCount(0);
  await app.screenshot('follow-key');
  // Clearing the key brings every call back.
  await page.getByRole('button', { name: 'Stop following the key' }).click();
  await expect.poll(() => app.rowCount()).toBe(59);
});

test('brushing the timeline filters the table to the window', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  const total = await app.rowCount();
  const box = (await app.timeline.locator('canvas').boundingBox())!;
  const y = box.y + 40;
  await page.mouse.move(box.x + box.width * 0.45, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.55, y, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByTestId('window-chip')).toBeVisible();
  await app.filtered();
  const t0 = Number(app.url().searchParams.get('t0'));
  const t1 = Number(app.url().searchParams.get('t1'));
  expect(t1).toBeGreaterThan(t0);
  const shown = await app.rowCount();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(total);
  const times = await app.dataRows().locator('.c-time').allTextContents();
  for (const t of times) {
    expect(Number(t)).toBeGreaterThanOrEqual(t0 - 1e-6);
    expect(Number(t)).toBeLessThanOrEqual(t1 + 1e-6);
  }
  await app.screenshot('timeline-brush');
  await page.getByRole('button', { name: 'Clear the time window' }).click();
  await expect.poll(() => app.rowCount()).toBe(total);
});

test('a permalink reopens the same view, and the URL follows changes', async ({ page }) => {
  const app = new InspectorPage(page);
  // Hash prefix a0 is keys 0-15; the reserve/finish calls touching them are calls 0-7.
  await app.goto(`?trace=${LIFECYCLE_TRACE}&methods=reserve_write,finish_write&q=hash:a0&sel=3`);
  await app.expectState('ready');
  await app.indexed();
  await expect.poll(() => app.rowCount()).toBe(8);
  await expect(app.query).toHaveValue('hash:a0');
  await expect(app.methodToggle('submit_prefetch_task')).toHaveAttribute('aria-pressed', 'false');
  await expect(app.methodToggle('reserve_write')).toHaveAttribute('aria-pressed', 'true');
  await expect(app.argView).toHaveAttribute('data-index', '3');

  await app.methodToggle('finish_write').click();
  await expect.poll(() => app.url().searchParams.get('methods')).toBe('reserve_write');
  await expect.poll(() => app.rowCount()).toBe(4);

  await page.reload();
  await app.expectState('ready');
  await app.indexed();
  await expect.poll(() => app.rowCount()).toBe(4);
  await expect(app.argView).toHaveAttribute('data-index', '3');
  expect(app.url().searchParams.get('q')).toBe('hash:a0');
  expect(app.url().searchParams.get('trace')).toBe(LIFECYCLE_TRACE);
});

test('statistics: clicking a method filters the table to it', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Stats');
  const row = page.getByTestId('stats').locator('tr[data-method=finish_write]');
  const count = Number((await row.locator('td.num').first().textContent())!.replace(/,/g, ''));
  expect(count).toBeGreaterThan(0);
  await app.screenshot('stats');
  await row.locator('td.num').first().getByRole('button').click();
  await expect.poll(() => app.rowCount()).toBe(count);
  await expect(app.methodToggle('finish_write')).toHaveAttribute('aria-pressed', 'true');
  await expect(app.methodToggle('reserve_write')).toHaveAttribute('aria-pressed', 'false');
});

test('compare two traces side by side', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Compare');
  await page.getByRole('combobox', { name: 'Server trace to compare with' }).selectOption(LIFECYCLE_TRACE);
  const result = page.getByTestId('compare-result');
  await expect(result).toBeVisible();
  await expect(result.locator('tr[data-method=reserve_write] td.num').nth(1)).toHaveText('10');
  await expect(result.locator('tr.is-notable').first()).toBeVisible();
  await app.screenshot('compare');
});
