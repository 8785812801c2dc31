/**
 * One open of a trace file in a fresh headless Chromium, as the bench opens it (the file input, the
 * built app), for A/B comparisons while working on the load: prints the timings and the page's long
 * tasks. `npx tsx apps/inspector/bench/open-once.ts FILE [--indexed]` (build first: `npm run build`).
 */
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { DIST } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { openFromInput, PAGE_INIT } from './open-timing.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/open-once.ts FILE [--indexed]\n');
  process.exit(2);
}
const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const browser = await chromium.launch({
  executablePath: process.env.KVTRACE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  await page.addInitScript(PAGE_INIT);
  await page.goto(url);
  await page.waitForSelector('.app[data-state="empty"]');
  // Tasks of 50 ms or more on the page's thread while the trace loads.
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: { n: number; ms: number } };
    w.__longTasks = { n: 0, ms: 0 };
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        w.__longTasks.n++;
        w.__longTasks.ms += e.duration;
      }
    }).observe({ type: 'longtask' });
  });
  const t = await openFromInput(page, path, process.argv.includes('--indexed'));
  const long = await page.evaluate(() => (window as unknown as { __longTasks: { n: number; ms: number } }).__longTasks);
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(
    `first row ${t.firstRowMs.toFixed(0)} ms, ready ${t.readyMs.toFixed(0)} ms${t.indexedMs >= 0 ? `, indexed ${t.indexedMs.toFixed(0)} ms` : ''}, ${t.records} calls (${t.state}); page long tasks ${long.n}, ${long.ms.toFixed(0)} ms; load ${load}`,
  );
} finally {
  await browser.close();
  server.close();
}
