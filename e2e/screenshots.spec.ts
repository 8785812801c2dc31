import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryLayoutDesc, ObjectKey } from '@kvtrace/trace';
import { TraceBuilder } from '@kvtrace/trace/test-support';
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

  // A record LMCache's decoder would refuse (an '@' in model_name, as older writers let through):
  // the argument view says so, at the value, in both themes.
  for (const scheme of ['light', 'dark'] as const) {
    test(`a value LMCache would refuse is flagged in the argument view (${scheme})`, async ({ page }, info) => {
      const dir = mkdtempSync(join(tmpdir(), 'kvtrace-refused-'));
      try {
        const b = TraceBuilder.memory({ config: { chunk_size: 256 } });
        const layout = new MemoryLayoutDesc([[2, 32, 256, 8, 128]], ['torch.bfloat16']);
        const keys = [0, 1, 2].map((i) => new ObjectKey(new Uint8Array(32).fill(0x40 + i), i === 1 ? 'meta-llama@8b' : 'meta-llama/8b', 0x01000100));
        b.call('reserve_write', 0.001, { keys, layout_desc: layout, mode: 'new' });
        b.call('finish_write', 0.002, { keys });
        const path = join(dir, 'refused-model-name.lct');
        writeFileSync(path, b.bytes());
        await page.emulateMedia({ colorScheme: scheme });
        const app = new InspectorPage(page);
        await app.goto();
        await app.dropLocalFile(path);
        await app.expectState('ready');
        await app.selectRow(0);
        await expect(page.getByTestId('arg-violation')).toContainText('keys[1].model_name contains "@"');
        await expect(page.getByTestId('violation-badge')).toHaveCount(1);
        await expect(app.treeItem('model_name').filter({ has: page.getByTestId('violation-badge') })).toContainText('meta-llama@8b');
        await info.attach(`refused-${scheme}`, { body: await app.screenshot(`refused-value-${scheme}`), contentType: 'image/png' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
