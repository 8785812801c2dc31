import { expect, test, type Page } from '@playwright/test';
import { LIFECYCLE_TRACE } from './support/gen-lifecycle-trace.ts';
import { InspectorPage } from './support/inspector-page.ts';

/**
 * Issue 13, defects 3, 4 and 6: the screenshot set of e2e/screenshots/ is checked, not only taken.
 * Requests, Compare and Stats must fit their card (no element wider than it) at the two common laptop sizes;
 * the timeline follows the theme at run time; its axis and lane labels are short and uncut.
 */
const SIZES = [
  { width: 1440, height: 900 },
  { width: 1280, height: 800 },
];

async function open(page: Page): Promise<InspectorPage> {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
  return app;
}

for (const size of SIZES) {
  test(`Requests, Stats and Compare fit their cards at ${size.width}x${size.height}`, async ({ page }) => {
    await page.setViewportSize(size);
    const app = await open(page);
    await app.openTab('Requests');
    const requests = page.getByRole('region', { name: 'Requests' });
    await expect(requests.getByTestId('request-table')).toBeVisible();
    await app.screenshot(`requests-${size.width}`);
    expect(await app.overflowIn(requests)).toEqual([]);

    await app.openTab('Stats');
    const stats = page.getByRole('region', { name: 'Statistics' });
    await expect(stats.getByTestId('stats')).toBeVisible();
    await app.screenshot(`stats-${size.width}`);
    expect(await app.overflowIn(stats)).toEqual([]);

    await app.openTab('Compare');
    await page.getByRole('combobox', { name: 'Server trace to compare with' }).selectOption(LIFECYCLE_TRACE);
    const compare = page.getByTestId('compare');
    await expect(compare.getByTestId('compare-result')).toBeVisible();
    await app.screenshot(`compare-${size.width}`);
    expect(await app.overflowIn(compare)).toEqual([]);
    // Every value a header names is on screen: the p99 column and keys p50 are inside the card.
    for (const h of ['keys p50 A → B', 'p99 A → B']) await expect(compare.getByRole('columnheader', { name: h })).toBeInViewport();
    // Durations are not shown under a rate: the all-calls figures are KPIs of their own.
    await expect(compare.getByTestId('compare-duration')).toContainText(/ s|ms/);
    await expect(compare.getByTestId('compare-rate')).toContainText('/s');
  });
}

test('the filter bar is one line at 1440x900, with and without filters, every method toggle in view', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const app = await open(page);
  const bar = page.getByTestId('filter-bar');
  /** The bar's children all share one row; what overflows the toggles' box sideways. */
  const shape = () =>
    bar.evaluate((el) => {
      const boxes = [...el.children].map((c) => c.getBoundingClientRect());
      const toggles = el.querySelector('.method-toggles')!;
      return {
        rows: boxes.filter((b) => b.top >= boxes[0]!.bottom).length + 1,
        togglesHidden: toggles.scrollWidth - toggles.clientWidth,
        queryWidth: el.querySelector('.query')!.getBoundingClientRect().width,
      };
    });
  expect(await shape()).toMatchObject({ rows: 1, togglesHidden: 0 });
  await app.query.fill('keys>16');
  await app.query.press('Enter');
  await app.methodToggle('finish_write').click();
  await app.filtered();
  await expect(page.getByRole('button', { name: 'Clear filters' })).toBeVisible();
  await app.screenshot('filter-bar-1440');
  const filtered = await shape();
  expect(filtered).toMatchObject({ rows: 1, togglesHidden: 0 });
  expect(filtered.queryWidth).toBeGreaterThanOrEqual(220);
});

test('the timeline repaints when the theme is switched at run time', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'light' });
  const app = await open(page);
  // The theme's --panel as the browser resolves it (rgb), whatever notation the stylesheet uses.
  const panel = () =>
    page.evaluate(() => {
      const probe = document.createElement('div');
      probe.style.background = 'var(--panel)';
      document.body.append(probe);
      const m = getComputedStyle(probe).backgroundColor.match(/\d+/g)!.slice(0, 3).map(Number);
      probe.remove();
      return m;
    });
  const light = await panel();
  // The canvas background at the top left (left of the lanes, above the labels).
  await expect.poll(() => app.timelinePixel(2, 2)).toEqual(light);
  const toggle = page.getByTestId('theme-toggle');
  while ((await toggle.getAttribute('data-theme-choice')) !== 'dark') await toggle.click();
  const dark = await panel();
  expect(dark).not.toEqual(light);
  await expect.poll(() => app.timelinePixel(2, 2)).toEqual(dark);
  await app.screenshot('dark-toggled');
});

test('axis ticks are short and inside the canvas; lane labels are whole', async ({ page }) => {
  for (const size of SIZES) {
    await page.setViewportSize(size);
    const app = await open(page);
    const width = (await app.timeline.locator('canvas').boundingBox())!.width;
    const ticks = await app.timelineTicks();
    expect(ticks.length).toBeGreaterThan(2);
    for (const t of ticks) {
      expect(t.text).toMatch(/^\d+(\.\d{1,3})? s$/);
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.x + t.width).toBeLessThanOrEqual(width);
    }
    const labels = await app.timelineLabels();
    for (const m of ['read_prefetched.__enter__', 'read_prefetched.__exit__', 'finish_read_prefetched', 'submit_prefetch_task']) expect(labels).toContain(m);
    await app.screenshot(`timeline-${size.width}`);
  }
});
