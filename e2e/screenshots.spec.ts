import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';

// The main states, kept in e2e/screenshots/ (Playwright wipes test-results/) and attached.
test.describe('screenshots', () => {
  test('empty state', async ({ page }, info) => {
    const app = new InspectorPage(page);
    await app.goto();
    await expect(page.getByTestId('server-traces')).toBeVisible();
    await info.attach('empty', { body: await app.screenshot('empty'), contentType: 'image/png' });
  });

  test('loaded trace with an argument tree open', async ({ page }, info) => {
    const app = new InspectorPage(page);
    await app.goto();
    await app.dropFixture('workload-small.lct');
    await app.expectState('ready');
    await app.selectRow(2);
    await app.treeItem('[0]').first().getByRole('button', { name: 'Expand' }).click();
    await info.attach('loaded', { body: await app.screenshot('loaded-args'), contentType: 'image/png' });
  });

  test('truncated file banner', async ({ page }, info) => {
    const app = new InspectorPage(page);
    await app.goto();
    await app.dropFixture('truncated-body.lct');
    await app.expectState('partial');
    await info.attach('truncated', { body: await app.screenshot('truncated'), contentType: 'image/png' });
  });

  test('malformed frames', async ({ page }, info) => {
    const app = new InspectorPage(page);
    await app.goto();
    await app.dropFixture('malformed-middle.lct');
    await app.expectState('partial');
    await page.getByRole('button', { name: 'show offsets' }).click();
    await info.attach('malformed', { body: await app.screenshot('malformed'), contentType: 'image/png' });
  });

  test('failed header', async ({ page }, info) => {
    const app = new InspectorPage(page);
    await app.goto();
    await app.dropFixture('bad-magic.lct');
    await app.expectState('failed');
    await info.attach('failed', { body: await app.screenshot('failed-bad-magic'), contentType: 'image/png' });
  });

  test('dark theme', async ({ page }, info) => {
    await page.emulateMedia({ colorScheme: 'dark' });
    const app = new InspectorPage(page);
    await app.goto();
    await app.dropFixture('unknown-tag.lct');
    await app.expectState('ready');
    const row = app.dataRows().filter({ has: page.locator('.badge', { hasText: 'unknown tag' }) }).first();
    await app.selectRow(Number(await row.getAttribute('aria-rowindex')) - 2);
    await info.attach('dark', { body: await app.screenshot('dark-unknown-tag'), contentType: 'image/png' });
  });
});
