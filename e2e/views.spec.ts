import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';

test('argument tree of a write: keys, layout, mode', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropFixture('workload-small.lct');
  await app.expectState('ready');
  const first = app.row(0);
  await expect(first.locator('.c-method')).toHaveText('reserve_write');
  await expect(first.locator('.c-args')).toContainText('layout_desc=');
  await app.selectRow(0);
  const keys = app.treeItem('keys');
  await expect(keys).toContainText(/list\[\d+\]/);
  // The first key: short hash + model + rank, full hash copyable.
  const key0 = app.treeItem('[0]').first();
  await expect(key0).toContainText('ObjectKey');
  await expect(key0).toContainText(/#[0-9a-f]{12}/);
  await expect(key0).toContainText('rank');
  await key0.getByRole('button', { name: 'Expand' }).click();
  await expect(app.treeItem('chunk_hash')).toContainText(/[0-9a-f]{16}/);
  await expect(app.treeItem('chunk_hash').getByRole('button', { name: 'copy' })).toBeVisible();
  await expect(app.treeItem('layout_desc')).toContainText(/bfloat16|float16/);
  await expect(app.treeItem('layout_desc')).toContainText(/[KMG]iB/);
  await expect(app.treeItem('mode')).toContainText('"');
});

test('a prefetch call shows enums and the attention window', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropFixture('workload-small.lct');
  await app.expectState('ready');
  const row = app.dataRows().filter({ hasText: 'submit_prefetch_task' }).first();
  const idx = Number(await row.getAttribute('aria-rowindex')) - 2;
  await app.selectRow(idx);
  await expect(app.treeItem('policy')).toContainText('TrimPolicy.');
  await expect(app.treeItem('mode')).toContainText('PrefetchMode.');
  await expect(app.treeItem('attn_desc')).toContainText('AttnWindowDesc');
});

test('unknown tags are shown raw with a badge', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropFixture('unknown-tag.lct');
  await app.expectState('ready');
  const row = app.dataRows().filter({ has: page.locator('.badge', { hasText: 'unknown tag' }) }).first();
  await expect(row).toBeVisible();
  const idx = Number(await row.getAttribute('aria-rowindex')) - 2;
  await app.selectRow(idx);
  await expect(app.argTree.locator('.badge', { hasText: 'unknown tag' }).first()).toBeVisible();
});

test('keyboard: arrows, page, home/end, enter selects', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropFixture('workload-small.lct');
  await app.expectState('ready');
  await app.grid.focus();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(app.argView).toHaveAttribute('data-index', '2');
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await expect(app.argView).toHaveAttribute('data-index', '299');
  await expect(app.row(299)).toBeInViewport();
  await page.keyboard.press('Home');
  await page.keyboard.press('PageDown');
  await page.keyboard.press('Enter');
  const idx = Number(await app.argView.getAttribute('data-index'));
  expect(idx).toBeGreaterThan(10);
  await expect(app.row(idx)).toBeInViewport();
  await expect(app.grid).toHaveAttribute('aria-activedescendant', `call-row-${idx}`);
});

test('theme follows the system and can be switched', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const app = new InspectorPage(page);
  await app.goto();
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const darkBg = await bg();
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  expect(await bg()).not.toBe(darkBg);
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  expect(await bg()).toBe(darkBg);
});
