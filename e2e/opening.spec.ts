import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { BIG_RECORDS, BIG_TRACE, FIXTURES, TRACES_DIR } from './support/paths.ts';

test('file picker opens a trace', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.pickFile(`${FIXTURES}workload-small.lct`);
  await app.expectState('ready');
  expect(await app.rowCount()).toBe(300);
  await expect(page.locator('.file-name')).toHaveText('workload-small.lct');
});

test('deep link /?trace= loads from the server', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=v1.lct');
  await app.expectState('ready');
  expect(await app.rowCount()).toBe(60);
  await expect(page.getByTestId('header-schema')).toContainText('v1');
  await expect(page.getByTestId('header-schema')).toContainText('read-only');
  // Arguments come back through Range requests.
  await app.selectRow(7);
  await expect(app.treeItem('keys')).toBeVisible();
});

test('a deep link to a missing trace fails with a clear message', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=no-such-trace.lct');
  await app.expectState('failed');
  await expect(page.getByTestId('failed-message')).toContainText('404');
});

test("the server's list opens a trace and sets the deep link", async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  const list = page.getByTestId('server-traces');
  await list.getByRole('button', { name: 'noconfig.lct' }).click();
  await app.expectState('ready');
  expect(await app.rowCount()).toBe(12);
  await expect(page.getByTestId('header-digest')).toContainText('no config recorded');
  expect(new URL(page.url()).searchParams.get('trace')).toBe('noconfig.lct');
});

test('a second file replaces the first cleanly', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropFixture('workload-small.lct');
  await app.expectState('ready');
  await app.selectRow(5);
  const firstLoad = await app.root.getAttribute('data-load-id');
  await app.dropFixture('truncated-body.lct');
  await expect(app.root).not.toHaveAttribute('data-load-id', firstLoad ?? '');
  await app.expectState('partial');
  expect(await app.rowCount()).toBe(59);
  await expect(page.getByTestId('arg-view')).not.toHaveAttribute('data-index', /.*/);
  await app.dropFixture('bad-magic.lct');
  await app.expectState('failed');
  await app.dropFixture('noconfig.lct');
  await app.expectState('ready');
  expect(await app.rowCount()).toBe(12);
});

test('loading can be cancelled and keeps what was read', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto(`?trace=${BIG_TRACE}`);
  await expect(app.row(0)).toBeVisible();
  await page.getByTestId('cancel-load').click();
  await app.expectState('partial');
  await expect(page.getByTestId('cancelled-banner')).toContainText('Loading cancelled');
  const n = await app.records();
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(BIG_RECORDS);
  expect(await app.rowCount()).toBe(n);
});

test('a big file from the picker: every call arrives; a second open cancelled keeps what was read', async ({ page }) => {
  test.setTimeout(180_000);
  const app = new InspectorPage(page);
  await app.goto();
  await app.pickFile(`${TRACES_DIR}/${BIG_TRACE}`);
  await app.expectState('ready');
  expect(await app.records()).toBe(BIG_RECORDS);

  await app.pickFile(`${TRACES_DIR}/${BIG_TRACE}`);
  await expect(app.row(0)).toBeVisible();
  await page.getByTestId('cancel-load').click();
  await app.expectState('partial');
  const n = await app.records();
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(BIG_RECORDS);
  expect(await app.rowCount()).toBe(n);
});
