import { expect, test, type Page } from '@playwright/test';
import { FLEET_A, FLEET_B, FLEET_FILES } from './support/gen-fleet-traces.ts';
import { fleetCalls, type FleetCall } from './support/fleet-facts.ts';
import { InspectorPage } from './support/inspector-page.ts';
import { TRACES_DIR } from './support/paths.ts';

/**
 * Issue 14 item 3 (inspector) and issue 10 item 3: several traces open as one. Two servers with
 * the same traffic (the same ObjectKeys), fleet-b rotated into two segments; what each view must
 * show is read from the files (support/fleet-facts.ts), lined up on the wall clock apart from the
 * inspector's own merge.
 */
const paths = FLEET_FILES.map((f) => `${TRACES_DIR}/${f}`);
const SET_LINK = `?${FLEET_FILES.map((f) => `trace=${encodeURIComponent(f)}`).join('&')}`;
let calls: FleetCall[] = [];

test.beforeAll(async () => {
  calls = await fleetCalls([
    { server: 'fleet-a', paths: [`${TRACES_DIR}/${FLEET_A}`] },
    { server: 'fleet-b', paths: FLEET_B.map((f) => `${TRACES_DIR}/${f}`) },
  ]);
});

const count = (f: (c: FleetCall) => boolean) => calls.filter(f).length;

/** Types a query and waits for its answer. */
async function query(app: InspectorPage, text: string): Promise<void> {
  await app.query.fill(text);
  await app.query.press('Enter');
  await app.filtered();
}

/** The call a rendered grid position shows. */
async function callAt(app: InspectorPage, position: number): Promise<number> {
  return Number(await app.row(position).getAttribute('data-call'));
}

async function selectPosition(app: InspectorPage, position: number): Promise<number> {
  const call = await callAt(app, position);
  await app.row(position).click();
  await expect(app.argView).toHaveAttribute('data-index', String(call));
  return call;
}

const openSet = async (page: Page) => {
  const app = new InspectorPage(page);
  await app.goto(SET_LINK);
  await app.expectState('ready');
  await app.indexed();
  return app;
};

test('three files dropped together: two servers on one clock, a server column, a timeline track per server, filters across both', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  await app.dropLocalFiles(paths);
  await app.expectState('ready');
  await app.indexed();
  expect(await app.records()).toBe(calls.length);
  await expect(page.locator('.file-name')).toHaveText('fleet-a + fleet-b (3 files)');

  // The rows in wall-clock order, each naming its server.
  await expect(app.grid.getByRole('columnheader', { name: 'server' })).toBeVisible();
  const shown = await app.renderedServers();
  expect(shown.size).toBeGreaterThan(20);
  for (const [call, server] of shown) expect(server, `call ${call}`).toBe(calls[call]!.server);
  expect(new Set(shown.values())).toEqual(new Set(['fleet-a', 'fleet-b']));

  // A track per server above the method lanes.
  const labels = await app.timelineLabels();
  expect(labels.slice(0, 2)).toEqual(['fleet-a', 'fleet-b']);
  expect(labels).toContain('submit_prefetch_task');

  // Each trace's header, fleet-b with both its segments.
  const headers = page.getByTestId('trace-header');
  await expect(headers).toHaveCount(2);
  await expect(page.locator('[data-testid="trace-header"][data-server="fleet-b"]').getByTestId('trace-files')).toHaveText(FLEET_B.join(', '));
  await app.screenshot('fleet-set');

  // server: filters across both, and combines with the rest of the language.
  await query(app, 'server:fleet-b');
  expect(await app.rowCount()).toBe(count((c) => c.server === 'fleet-b'));
  expect(new Set((await app.renderedServers()).values())).toEqual(new Set(['fleet-b']));
  await query(app, 'method:submit_prefetch_task NOT server:fleet-b');
  expect(await app.rowCount()).toBe(count((c) => c.server === 'fleet-a' && c.method === 'submit_prefetch_task'));
  await query(app, 'method:submit_prefetch_task');
  expect(await app.rowCount()).toBe(count((c) => c.method === 'submit_prefetch_task'));
  // The timeline's fleet-b track dims what the filter leaves out; a screenshot of it.
  await query(app, 'server:fleet-b');
  await app.screenshot('fleet-server-filter');
});

test('several recordings ticked in the server list open together, and the permalink reopens the set', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto();
  const list = page.getByTestId('server-traces');
  // A rotated recording is one row.
  const b = list.locator('tr[data-recording="fleet-b.lct"]');
  await expect(b).toContainText('2 segments');
  await expect(list.locator('tr', { hasText: 'fleet-b.000001.lct' })).toHaveCount(0);
  await list.getByRole('checkbox', { name: 'Select fleet-a.lct' }).check();
  await list.getByRole('checkbox', { name: 'Select fleet-b.lct' }).check();
  await app.screenshot('fleet-server-list');
  await page.getByTestId('open-selected').click();
  await app.expectState('ready');
  await app.indexed();
  expect(await app.records()).toBe(calls.length);
  expect(app.url().searchParams.getAll('trace')).toEqual([...FLEET_FILES]);

  await query(app, 'server:fleet-a method:reserve_write');
  const n = count((c) => c.server === 'fleet-a' && c.method === 'reserve_write');
  expect(await app.rowCount()).toBe(n);
  const selected = await selectPosition(app, 2);
  await expect.poll(() => app.url().searchParams.get('sel')).toBe(String(selected));

  await page.reload();
  await app.expectState('ready');
  await app.indexed();
  expect(await app.records()).toBe(calls.length);
  await app.filtered();
  expect(await app.rowCount()).toBe(n);
  await expect(app.query).toHaveValue('server:fleet-a method:reserve_write');
  await expect(app.argView).toHaveAttribute('data-index', String(selected));
  await expect(page.getByTestId('call-server')).toHaveText('fleet-a');
});

test("following a key follows that server's key only", async ({ page }) => {
  const app = await openSet(page);
  await query(app, 'server:fleet-b method:read_prefetched_results.__enter__');
  const call = await selectPosition(app, 0);
  // The key alone, not the key within the query: clear the query, the call stays selected.
  await app.query.fill('');
  await app.query.press('Enter');
  await expect.poll(() => app.rowCount()).toBe(calls.length);
  await app.treeItem('[0]').first().getByRole('button', { name: 'follow' }).click();
  await app.filtered();
  await expect(page.getByRole('tab', { name: 'Key', exact: true })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('key-server')).toHaveText('fleet-b');
  const hash = calls[call]!.hashes[0]!;
  await expect(page.getByTestId('key-chip')).toContainText(`#${hash.slice(0, 12)} on fleet-b`);
  const onB = count((c) => c.server === 'fleet-b' && c.hashes.includes(hash));
  // The same ObjectKey is on fleet-a too: a key of one server must not pull the other's calls in.
  expect(count((c) => c.server === 'fleet-a' && c.hashes.includes(hash))).toBeGreaterThan(0);
  await expect.poll(() => app.rowCount()).toBe(onB);
  expect(new Set((await app.renderedServers()).values())).toEqual(new Set(['fleet-b']));
  await app.screenshot('fleet-follow-key');
});

test("each row shows its request's duration; the tooltip names the request and its phases", async ({ page }) => {
  const app = await openSet(page);
  await query(app, 'server:fleet-a method:read_prefetched_results.__enter__');
  const call = await callAt(app, 0);
  // The request from the file: the submit before the read whose keys it starts with, to the release of the read's keys.
  const enter = calls[call]!;
  const same = (c: FleetCall) => c.server === enter.server;
  const before = calls.slice(0, call).filter(same);
  const submit = before.reverse().find((c) => c.method === 'submit_prefetch_task' && enter.hashes.every((h, i) => c.hashes[i] === h))!;
  const finish = calls.slice(call + 1).find((c) => same(c) && c.method === 'finish_read_prefetched' && c.hashes.join() === enter.hashes.join())!;
  const expectedMs = (finish.t - submit.t) * 1000;
  const cell = app.row(0).locator('.c-dur');
  await expect(cell).toHaveText(/^\d+(\.\d)? ms$/);
  const shownMs = Number((await cell.textContent())!.replace(' ms', ''));
  expect(Math.abs(shownMs - expectedMs)).toBeLessThanOrEqual(expectedMs >= 100 ? 0.5 : 0.05);
  await expect(cell).toHaveAttribute('title', new RegExp(`^read request ${submit.erid} \\(done\\) ${await cell.textContent()}: wait .* · read .* · release `));
  // Every call of the request shows the same duration.
  await query(app, `server:fleet-a req:${submit.erid}`);
  await expect(app.row(0).locator('.c-dur')).toHaveText((await cell.textContent()) ?? '');
});

test('an old link to the Lifecycles panel opens the Requests panel', async ({ page }) => {
  const app = new InspectorPage(page);
  await app.goto(`?trace=${FLEET_A}&tab=lifecycles`);
  await app.expectState('ready');
  await expect(page.getByRole('tab', { name: 'Requests', exact: true })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('link-problems')).toHaveCount(0);
  await expect.poll(() => app.url().searchParams.get('tab')).toBe('requests');
});
