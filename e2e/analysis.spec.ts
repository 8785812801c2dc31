import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { A0_RESERVE_CALLS, A0_WRITE_CALLS, CALL_COUNT, callsOfKey, LEAK_CALL, LEAKED_READ_CALLS, LEAKED_WRITE_KEY, LIFECYCLE_TRACE, RESERVE_CALLS, keyHashHex } from './support/gen-lifecycle-trace.ts';

/**
 * The analysis features over lifecycles-leak.lct (support/gen-lifecycle-trace.ts, whose call plan
 * gives the call numbers): interleaved writes then reads; LEAK_CALL reserves key 13 alone and it is
 * never finished; the read request of LEAKED_READ_CALLS is never released.
 */

test('flags explain themselves: a read never released is leaked, an unfinished reservation undecided, each one click from its calls', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto(`?trace=${LIFECYCLE_TRACE}`);
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Requests');
  const leakedRead = page.locator('[data-flag=read_leaked]');
  await expect(leakedRead).toContainText('Leaked read lock');
  await expect(leakedRead.getByTestId('flag-count')).toHaveText('4 keys');
  await expect(leakedRead.locator('.flag-rule')).toContainText('no finish_read_prefetched gave all its read locks back');
  for (const c of LEAKED_READ_CALLS) await expect(leakedRead.locator(`.call-link[data-call="${c}"]`)).toBeVisible();
  const undecided = page.locator('[data-flag=write_undecided]');
  await expect(undecided.getByTestId('flag-count')).toHaveText('1 key');
  await expect(undecided.locator('.flag-rule')).toContainText('may hold a write lock, or it was refused');
  // Counted once per key; a miss is not a flag.
  await expect(page.getByTestId('lock-kpis')).toContainText('4read locks leaked');
  await expect(page.getByRole('tab', { name: /Requests/ }).locator('.tab-dot')).toBeVisible();
  await app.screenshot('request-flags');

  await undecided.locator(`.call-link[data-call="${LEAK_CALL}"]`).click();
  await expect(app.grid.locator(`[data-call="${LEAK_CALL}"]`)).toHaveAttribute('aria-selected', 'true');
  await expect(app.url().searchParams.get('sel')).toBe(String(LEAK_CALL));

  // "follow key" from the flag: the calls touching key 13, whose reservation stays pending.
  await undecided.getByRole('button', { name: 'follow key' }).click();
  await app.filtered();
  await app.openTab('Key');
  await expect(page.getByTestId('key-view')).toContainText(keyHashHex(LEAKED_WRITE_KEY));
  await expect(page.getByTestId('key-view').locator('[data-flag=write_undecided]')).toBeVisible();
  await expect(page.getByTestId('key-view').locator('.lifecycle[data-kind=write]')).toHaveAttribute('data-fate', 'pending');
});

test('requests as spans: the slowest listed with their phases, a latency brush filters the table', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Requests');
  const table = page.getByTestId('request-table');
  await expect(table.locator('tbody tr').first()).toBeVisible();
  // workload-small has 40 read requests and 70 writes, all done.
  await expect(page.getByTestId('requests').locator('.kpi').first()).toContainText('40');
  await expect(table.locator('tbody tr[data-status=done]').first()).toBeVisible();
  const total = await app.rowCount();
  // Brush the wait histogram's first bins: the filter becomes a query on the request phase.
  const hist = page.locator('tr[data-phase=read_wait]').getByTestId('phase-hist');
  const box = (await hist.boundingBox())!;
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2, { steps: 4 });
  await page.mouse.up();
  await expect.poll(() => app.url().searchParams.get('q') ?? '').toMatch(/^wait>=0s wait<=\d/);
  await app.filtered();
  const shown = await app.rowCount();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(total);
  await app.screenshot('requests-panel');
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
  // Key 0: its reserve and finish, the prefetch/enter/exit/release of read request 0.
  expect(callsOfKey(0)).toHaveLength(6);
  await expect.poll(() => app.rowCount()).toBe(6);
  expect(await app.renderedCalls()).toEqual(callsOfKey(0));
  await expect(page.getByRole('tab', { name: 'Key', exact: true })).toHaveAttribute('aria-selected', 'true');
  const view = page.getByTestId('key-view');
  await expect(view.locator('.lifecycle')).toHaveCount(2);
  await expect(view.locator('.lifecycle.is-open')).toHaveCount(0);
  await expect(view.locator('.lifecycle[data-kind=read]')).toHaveAttribute('data-fate', 'released');
  await app.screenshot('follow-key');
  // Clearing the key brings every call back.
  await page.getByRole('button', { name: 'Stop following the key' }).click();
  await expect.poll(() => app.rowCount()).toBe(CALL_COUNT);
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
  // Hash prefix a0 is keys 0-15, touched by the first writes.
  await app.goto(`?trace=${LIFECYCLE_TRACE}&methods=reserve_write,finish_write&q=hash:a0&sel=3`);
  await app.expectState('ready');
  await app.indexed();
  await expect.poll(() => app.rowCount()).toBe(A0_WRITE_CALLS);
  await expect(app.query).toHaveValue('hash:a0');
  await expect(app.methodToggle('submit_prefetch_task')).toHaveAttribute('aria-pressed', 'false');
  await expect(app.methodToggle('reserve_write')).toHaveAttribute('aria-pressed', 'true');
  await expect(app.argView).toHaveAttribute('data-index', '3');

  await app.methodToggle('finish_write').click();
  await expect.poll(() => app.url().searchParams.get('methods')).toBe('reserve_write');
  await expect.poll(() => app.rowCount()).toBe(A0_RESERVE_CALLS);

  await page.reload();
  await app.expectState('ready');
  await app.indexed();
  await expect.poll(() => app.rowCount()).toBe(A0_RESERVE_CALLS);
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

test('compare two traces side by side; the compared trace and the open tab are in the permalink', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  await app.openTab('Compare');
  await page.getByRole('combobox', { name: 'Server trace to compare with' }).selectOption(LIFECYCLE_TRACE);
  const result = page.getByTestId('compare-result');
  await expect(result).toBeVisible();
  await expect(result.locator('tr[data-method=reserve_write] td.num').nth(1)).toHaveText(String(RESERVE_CALLS));
  await expect(result.locator('tr.is-notable').first()).toBeVisible();
  await app.screenshot('compare');
  await expect.poll(() => app.url().searchParams.get('cmp')).toBe(LIFECYCLE_TRACE);
  expect(app.url().searchParams.get('tab')).toBe('compare');

  await page.reload();
  await app.expectState('ready');
  await expect(page.getByRole('tab', { name: 'Compare' })).toHaveAttribute('aria-selected', 'true');
  await expect(result).toContainText(LIFECYCLE_TRACE);
  await expect(result.locator('tr[data-method=reserve_write] td.num').nth(1)).toHaveText(String(RESERVE_CALLS));
});
