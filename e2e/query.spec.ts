import { expect, test } from '@playwright/test';
import { InspectorPage } from './support/inspector-page.ts';
import { TRACES_DIR } from './support/paths.ts';
import { readCalls, type CallFact } from './support/trace-facts.ts';

/**
 * Issue 13, gap 1: the query language in the page. Expected counts are computed from the file with
 * libs/trace's reader, by the plain meaning of each query.
 */
let calls: CallFact[] = [];
test.beforeAll(async () => {
  calls = await readCalls(`${TRACES_DIR}/workload-small.lct`);
});

test.beforeEach(async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto('?trace=workload-small.lct');
  await app.expectState('ready');
  await app.indexed();
});

async function run(app: InspectorPage, q: string): Promise<number> {
  await app.query.fill(q);
  await app.query.press('Enter');
  await expect.poll(() => app.url().searchParams.get('q')).toBe(q);
  await app.filtered();
  return app.rowCount();
}

test('fields, numbers with units, AND/OR/NOT and parentheses give what they mean', async ({ page }) => {
  const app = new InspectorPage(page);
  const count = (f: (c: CallFact) => boolean) => calls.filter(f).length;
  const cases: [string, (c: CallFact) => boolean][] = [
    ['method:reserve_write keys>16', (c) => c.method === 'reserve_write' && c.keys > 16],
    ['t>0.5s', (c) => c.t > 0.5],
    ['t<250ms method:finish_write', (c) => c.t < 0.25 && c.method === 'finish_write'],
    ['NOT method:reserve_write', (c) => c.method !== 'reserve_write'],
    ['(method:finish_write OR method:finish_read_prefetched) t<500ms', (c) => (c.method === 'finish_write' || c.method === 'finish_read_prefetched') && c.t < 0.5],
    ['mode="new"', (c) => c.args.mode === 'new'],
  ];
  for (const [q, f] of cases) {
    const want = count(f);
    expect(want, q).toBeGreaterThan(0);
    expect(await run(app, q), q).toBe(want);
  }
  await app.screenshot('query');
  expect(await page.getByTestId('query-error').count()).toBe(0);
});

test('a wrong query is shown where it is wrong, and not applied', async ({ page }) => {
  const app = new InspectorPage(page);
  const before = await run(app, 'method:finish_write');
  await app.query.fill('method:finish_write hsh:abc');
  const err = page.getByTestId('query-error');
  await expect(err).toContainText('column 21');
  await expect(err).toContainText('unknown field "hsh:"');
  await expect(err.locator('mark')).toHaveText('hsh:');
  await expect(app.query).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('filter-count')).toContainText('query not applied');
  await app.screenshot('query-error');
  // The last good query still rules the table; nothing pretends to be its answer.
  expect(await app.rowCount()).toBe(before);
  expect(app.url().searchParams.get('q')).toBe('method:finish_write');

  // Found by the analyzer, not the parser: a method this trace does not have.
  await app.query.fill('method:bogus');
  await app.query.press('Enter');
  await expect(err).toContainText('no method of this trace is "bogus"');
  await expect(err).toContainText('reserve_write');
});

test('field names and methods complete as you type; the help lists fields and runs examples', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.query.click();
  await page.keyboard.type('mo');
  const list = page.getByTestId('query-suggestions');
  await expect(list.getByRole('option')).toHaveText([/^model:/]);
  await page.keyboard.press('Tab');
  await expect(app.query).toHaveValue('model:');
  await app.query.fill('');
  await page.keyboard.type('method:fin');
  await expect(list.getByRole('option')).toHaveCount(2);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(app.query).toHaveValue('method:finish_read_prefetched ');
  await app.screenshot('query-complete');

  await page.getByTestId('query-help-button').click();
  const help = page.getByTestId('query-help');
  await expect(help).toContainText('keys>');
  await expect(help).toContainText('dur>');
  await app.screenshot('query-help');
  await help.getByRole('button', { name: 'method:reserve_write keys>16' }).click();
  await expect(help).toHaveCount(0);
  await expect(app.query).toHaveValue('method:reserve_write keys>16');
  await expect.poll(() => app.rowCount()).toBe(calls.filter((c) => c.method === 'reserve_write' && c.keys > 16).length);
});
