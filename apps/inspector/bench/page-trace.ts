/**
 * What the page's main thread does during a big open, as Chromium itself accounts it (script,
 * message handling, style, layout, paint): `npx tsx apps/inspector/bench/page-trace.ts TRACE.lct`
 * (build first: `npm run build`). Records a Chromium trace (devtools.timeline, blink, v8, toplevel)
 * from the drop to data-state=ready in a fresh headless Chromium and prints the total duration of
 * each event name on the renderer's main thread (nested events overlap: a name's total is its own
 * time including what it contains). page-profile.ts says which functions the script time is.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { freshPage, launchWithPid } from './measured-browser.ts';

const CATEGORIES = ['devtools.timeline', 'blink', 'v8', 'toplevel'];
const SHOWN = 25;

interface TraceEvent {
  ph: string;
  name: string;
  pid: number;
  tid: number;
  dur?: number;
  args?: { name?: string };
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/page-trace.ts TRACE.lct\n');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'kvtrace-page-trace-'));
const out = join(dir, 'trace.json');
const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const { browser } = await launchWithPid();
try {
  const page = await freshPage(browser, url);
  await browser.startTracing(page, { path: out, categories: CATEGORIES });
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector('.app[data-state="ready"]', { timeout: 600_000 });
  const wall = Date.now() - t0;
  await browser.stopTracing();
  const parsed = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
  const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const total = new Map<string, number>();
  for (const e of events) if (e.ph === 'X' && e.dur !== undefined && main.has(`${e.pid}:${e.tid}`)) total.set(e.name, (total.get(e.name) ?? 0) + e.dur / 1000);
  console.log(`page main thread from the drop to data-state=ready (${(wall / 1000).toFixed(1)} s wall): total ms by trace event`);
  for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, SHOWN)) console.log(`  ${v.toFixed(0).padStart(7)}  ${k}`);
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
