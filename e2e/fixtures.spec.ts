import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { FIXTURES } from './support/paths.ts';

interface Expected {
  ok: boolean;
  error: string | null;
  records: number;
  malformed: number;
  arg_decode_errors: number;
  truncated: { offset: number; claimed: number | null; available: number } | null;
  header: { digest_valid: boolean; trace_schema_version: number; level: string; sm_config_digest: string } | null;
}
const MANIFEST = JSON.parse(readFileSync(`${FIXTURES}MANIFEST.json`, 'utf8')) as Record<string, Expected>;

// Every shared LMCache fixture, dropped with a real DataTransfer: the page tells the manifest's truth.
for (const [name, want] of Object.entries(MANIFEST)) {
  test(`drop ${name}`, async ({ page }) => {
    const app = new InspectorPage(page);
    await app.goto();
    await expect(app.root).toHaveAttribute('data-state', 'empty');
    await app.dropFixture(name);
    const state = await app.settled();
    if (!want.ok) {
      expect(state).toBe('failed');
      await expect(page.getByTestId('failed-message')).toHaveText(want.error ?? '');
      await expect(app.grid).toHaveCount(0);
      return;
    }
    expect(state).toBe(want.truncated || want.malformed > 0 ? 'partial' : 'ready');
    expect(await app.records()).toBe(want.records);
    expect(await app.rowCount()).toBe(want.records);
    const h = want.header!;
    await expect(page.getByTestId('header-schema')).toContainText(`v${h.trace_schema_version}`);
    await expect(page.getByTestId('header-level')).toContainText(h.level);
    await expect(page.getByTestId('header-digest')).toContainText(h.sm_config_digest === '' ? 'no config recorded' : h.digest_valid ? 'SHA-256 matches' : 'mismatch');
    if (want.records > 0) await expect(app.row(0)).toBeVisible();
    else await expect(app.grid).toContainText('no calls');
    const t = want.truncated;
    if (t) {
      const banner = page.getByTestId('truncated-banner');
      await expect(banner).toContainText(`${want.records} calls read`);
      if (t.claimed === null) await expect(banner).toContainText(`length prefix at byte ${t.offset} is cut after ${t.available} of 4 bytes`);
      else await expect(banner).toContainText(`the frame at byte ${t.offset.toLocaleString('en-US').replace(/,/g, '')} claims ${t.claimed.toLocaleString('en-US')} bytes, only ${t.available} remain`);
    } else await expect(page.getByTestId('truncated-banner')).toHaveCount(0);
    if (want.malformed > 0) {
      const banner = page.getByTestId('malformed-banner');
      await expect(banner).toContainText(`${want.malformed} malformed record frames skipped`);
      await banner.getByRole('button', { name: 'show offsets' }).click();
      await expect(banner.locator('.frame-list li')).toHaveCount(want.malformed);
    } else await expect(page.getByTestId('malformed-banner')).toHaveCount(0);
    if (want.arg_decode_errors > 0) await expect(page.getByTestId('unknown-tags-banner')).toContainText(`${want.arg_decode_errors} calls carry values`);
    else await expect(page.getByTestId('unknown-tags-banner')).toHaveCount(0);
  });
}
