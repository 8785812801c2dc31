/**
 * How the browser's memory settles after a big open: the whole-browser PSS per call as data-indexed
 * turns true, then every 5 s while the tab sits idle, with the young and old generations of the
 * workers' V8 heaps and, per call, what each allocator holds over the moment before the open
 * (ArrayBuffers, malloc, the workers' and the page's V8 heaps; see allocator-dump.ts). `npx tsx apps/inspector/bench/pss-settle.ts FILE [SECONDS] [--js-flags=FLAGS]`
 * (build first: `npm run build`). The bench's "settled" moment (inspector.bench.ts SETTLE_MS) was
 * chosen from it. `--js-flags` passes V8 flags to the browser for an experiment, e.g.
 * `--js-flags=--max-semi-space-size=1` caps every young generation at 1 MB a semi-space, which
 * shows what their growth costs at data-indexed.
 */
import { FIXTURES, DIST } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { ALLOCATOR_SPLIT, allocatorDump } from './allocator-dump.ts';
import { browserMemory, collectGarbage, freshPage, launchWithPid } from './measured-browser.ts';
import { openFromInput } from './open-timing.ts';
import { loadAvg, totalPss } from './process-memory.ts';

const flagArg = process.argv.find((a) => a.startsWith('--js-flags='));
const [path, secondsArg] = process.argv.slice(2).filter((a) => a !== flagArg);
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/pss-settle.ts FILE [SECONDS] [--js-flags=FLAGS]\n');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 60);
const jsFlags = flagArg ? flagArg.slice('--js-flags='.length).split(' ').filter((f) => f !== '') : [];
const STEP_MS = 5000;
const SPACES = ['v8/workers/heap/new_space', 'v8/workers/heap/old_space'];
const DUMPED = [...SPACES, ...ALLOCATOR_SPLIT.map(([, name]) => name)];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const { browser, pid } = await launchWithPid(jsFlags);
try {
  // The bench's "before": two warm-up opens, their garbage collected, the tab idle.
  const page = await freshPage(browser, url);
  for (let i = 0; i < 2; i++) await openFromInput(page, `${FIXTURES}workload-small.lct`, true);
  await collectGarbage(page);
  await sleep(30_000);
  const pss = () => totalPss(browserMemory(pid));
  const before = pss();
  const allocBefore = await allocatorDump(browser, () => true, DUMPED);
  const t = await openFromInput(page, path, true);
  const sample = async (label: string) => {
    const perCall = ((pss() - before) / t.records).toFixed(0);
    const heaps = await allocatorDump(browser, () => true, DUMPED);
    const mb = (name: string) => ((heaps.get(name) ?? 0) / 1e6).toFixed(1);
    const split = ALLOCATOR_SPLIT.map(([label, name]) => `${label} ${(((heaps.get(name) ?? 0) - (allocBefore.get(name) ?? 0)) / t.records).toFixed(0)}`).join(', ');
    console.log(`${label.padEnd(16)} PSS ${perCall.padStart(4)} B a call (${split}); workers' V8 new space ${mb(SPACES[0]!)} MB, old space ${mb(SPACES[1]!)} MB`);
  };
  console.log(`${t.records} calls, indexed in ${(t.indexedMs / 1000).toFixed(1)} s (load average ${loadAvg()})${jsFlags.length ? `; V8 flags ${jsFlags.join(' ')}` : ''}`);
  await sample('data-indexed');
  for (let s = STEP_MS; s <= seconds * 1000; s += STEP_MS) {
    await sleep(STEP_MS);
    await sample(`+${s / 1000} s idle`);
  }
} finally {
  await browser.close();
  server.close();
}
