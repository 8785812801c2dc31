/**
 * What of the peak is garbage, and whose: opens a trace, samples the PSS and each allocator per call
 * as data-indexed turns true, then after a full collection in every worker, then after one in the
 * page. `npx tsx apps/inspector/bench/gc-split.ts TRACE.lct` (build first). What a collection frees
 * is memory the inspector no longer held but V8 had not yet swept; what stays is data or V8's own
 * (a young generation is not shrunk by a forced collection). "Before" is taken as in pss-settle.ts.
 */
import { DIST, FIXTURES } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { ALLOCATOR_SPLIT, allocatorDump } from './allocator-dump.ts';
import { browserMemory, collectGarbage, freshPage, launchWithPid } from './measured-browser.ts';
import { openFromInput } from './open-timing.ts';
import { loadAvg, totalPss } from './process-memory.ts';

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/gc-split.ts TRACE.lct\n');
  process.exit(2);
}
const names = ALLOCATOR_SPLIT.map(([, name]) => name);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = () => (globalThis as unknown as { gc(): void }).gc();

const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const { browser, pid } = await launchWithPid();
try {
  const page = await freshPage(browser, url);
  for (let i = 0; i < 2; i++) await openFromInput(page, `${FIXTURES}workload-small.lct`, true);
  await collectGarbage(page);
  await sleep(30_000);
  const before = totalPss(browserMemory(pid));
  const allocBefore = await allocatorDump(browser, () => true, names);
  const t = await openFromInput(page, path, true);
  const sample = async (label: string) => {
    const pss = ((totalPss(browserMemory(pid)) - before) / t.records).toFixed(0);
    const now = await allocatorDump(browser, () => true, names);
    const split = ALLOCATOR_SPLIT.map(([l, name]) => `${l} ${(((now.get(name) ?? 0) - (allocBefore.get(name) ?? 0)) / t.records).toFixed(0)}`).join(', ');
    console.log(`${label.padEnd(24)} PSS ${pss.padStart(4)} B a call (${split})`);
  };
  console.log(`${t.records} calls, indexed in ${(t.indexedMs / 1000).toFixed(1)} s (load average ${loadAvg()})`);
  await sample('data-indexed');
  // The loading worker and the spare one the loader keeps ready (shard workers are gone by now).
  for (const w of page.workers()) await w.evaluate(gc).catch(() => undefined);
  await sample('after a GC in workers');
  await page.evaluate(gc);
  await sample('after a GC in the page');
} finally {
  await browser.close();
  server.close();
}
