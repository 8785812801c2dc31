import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';

/** Issue 13, defect 5 and gap 2: the details follow the cursor; ?, /, W/A/S/D and B do what the help says. */
test.beforeEach(async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
});

test('the details panel follows the arrow keys, no Enter needed', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.grid.focus();
  await page.keyboard.press('ArrowDown');
  await expect(app.argView).toHaveAttribute('data-index', '1');
  await page.keyboard.press('ArrowDown');
  await expect(app.argView).toHaveAttribute('data-index', '2');
  await expect(app.argTree).toBeVisible();
  await page.keyboard.press('End');
  await expect(app.argView).toHaveAttribute('data-index', '299');
  await expect.poll(() => app.url().searchParams.get('sel')).toBe('299');
});

test('? opens the shortcut help, Escape closes it; / focuses the query', async ({ page }) => {
  const app = new InspectorPage(page);
  await page.keyboard.press('?');
  const help = page.getByTestId('keyboard-help');
  await expect(help).toBeVisible();
  await expect(help).toContainText('focus the query');
  await expect(help).toContainText('method:reserve_write keys>16');
  await app.screenshot('keyboard-help');
  await page.keyboard.press('Escape');
  await expect(help).toHaveCount(0);
  await page.getByTestId('help-button').click();
  await expect(help).toBeVisible();
  await page.keyboard.press('?');
  await expect(help).toHaveCount(0);

  await page.keyboard.press('/');
  await expect(app.query).toBeFocused();
  // Typed into the query, ? is text, not the help.
  await page.keyboard.type('?');
  await expect(app.query).toHaveValue('?');
  await expect(help).toHaveCount(0);
});

test('W/S zoom and A/D pan the timeline from anywhere; arrows on the focused timeline', async ({ page }) => {
  const app = new InspectorPage(page);
  const full = await app.timelineView();
  await page.keyboard.press('w');
  await expect.poll(async () => (await app.timelineView()).t1 - (await app.timelineView()).t0).toBeLessThan(full.t1 - full.t0);
  const zoomed = await app.timelineView();
  await page.keyboard.press('d');
  await expect.poll(async () => (await app.timelineView()).t0).toBeGreaterThan(zoomed.t0);
  const panned = await app.timelineView();
  await page.keyboard.press('a');
  await expect.poll(async () => (await app.timelineView()).t0).toBeLessThan(panned.t0);
  await page.keyboard.press('s');
  await page.keyboard.press('s');
  await expect.poll(async () => (await app.timelineView()).t1 - (await app.timelineView()).t0).toBeGreaterThan(zoomed.t1 - zoomed.t0);

  await app.timeline.focus();
  const before = await app.timelineView();
  await page.keyboard.press('ArrowUp');
  await expect.poll(async () => (await app.timelineView()).t1 - (await app.timelineView()).t0).toBeLessThan(before.t1 - before.t0);
  await page.keyboard.press('0');
  await expect.poll(() => app.timelineView()).toEqual(full);
});

test('B bookmarks the selected call', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.selectRow(4);
  await page.keyboard.press('b');
  await expect(page.getByTestId('bookmark-toggle')).toHaveAttribute('aria-pressed', 'true');
  await expect.poll(() => app.url().searchParams.getAll('mark')).toEqual(['4']);
  await page.keyboard.press('b');
  await expect(page.getByTestId('bookmark-toggle')).toHaveAttribute('aria-pressed', 'false');
  await expect.poll(() => app.url().searchParams.getAll('mark')).toEqual([]);
});
