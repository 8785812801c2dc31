import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { BIG_TRACE, TRACES_DIR } from './support/paths.ts';

/**
 * Cancel keeps the calls read so far, and not just in the table: the worker stops reading but stays
 * the trace's analyzer, so filters, requests, statistics and exports work on those calls. (Cancel
 * used to terminate the worker: every query then failed with "the trace was closed".)
 */
test('a cancelled big load stays analysable: filters, requests and export work', async ({ page }) => {
  test.setTimeout(120_000);
  const app = new InspectorPage(page);
  await app.goto();
  // 460 MB: over the inline-index limit, so this also covers the second pass of a cancelled load.
  await app.pickFile(`${TRACES_DIR}/${BIG_TRACE}`);
  await expect.poll(() => app.records(), { timeout: 30_000 }).toBeGreaterThan(100_000);
  await page.getByTestId('cancel-load').click();
  await app.expectState('partial');
  await expect(page.getByText('Loading cancelled.')).toBeVisible();
  const records = await app.records();
  expect(records).toBeLessThan(3_000_000);
  await app.indexed();
  await expect(page.locator('.badge-err')).toHaveCount(0);

  // One method alone: a real subset, never "N of N" and never an error.
  await page.getByRole('group', { name: 'Methods' }).getByRole('button').first().click({ modifiers: ['Alt'] });
  await app.filtered();
  const shown = await app.rowCount();
  expect(shown).toBeGreaterThan(0);
  expect(shown).toBeLessThan(records);
  await expect(page.getByTestId('filter-count')).toContainText(`${shown.toLocaleString('en-US')} of ${records.toLocaleString('en-US')} calls`);
  await expect(page.locator('.badge-err')).toHaveCount(0);

  await app.openTab('Requests');
  await expect(page.getByTestId('requests')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Export ▾' })).toBeEnabled();
});
