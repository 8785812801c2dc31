/**
 * How long a terminated worker's heap stays in the browser's memory:
 * `npx tsx apps/inspector/bench/terminated-worker.ts`. A page starts a worker that fills its V8 heap
 * with about 100 MB of small objects (no ArrayBuffers), then terminates it; the PSS of the renderers
 * is printed every second for 40 s. This is why the inspector's PSS at data-indexed includes its
 * shard workers' heaps although they were terminated before the merge ended: Chromium gives that
 * memory back seconds later, not at terminate().
 */
import { browserMemory, launchWithPid } from './measured-browser.ts';
import { totalPss } from './process-memory.ts';

const SECONDS = 40;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const { browser, pid } = await launchWithPid();
try {
  const renderers = () => totalPss(browserMemory(pid).filter((p) => p.kind === 'renderer'));
  const page = await browser.newPage();
  await page.goto('data:text/html,<title>terminated worker</title>');
  await sleep(3000);
  const before = renderers();
  await page.evaluate(async () => {
    const src = `onmessage = () => {
      const keep = [];
      for (let i = 0; i < 1e6; i++) keep.push({ i, s: 'item-' + (i % 1000), a: [i, i + 1] });
      postMessage(keep.length);
    };`;
    const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
    await new Promise((r) => {
      w.onmessage = r;
      w.postMessage(0);
    });
    (globalThis as unknown as { w: Worker }).w = w;
  });
  const mb = (bytes: number) => `${((bytes - before) / 1e6).toFixed(0)} MB`;
  console.log(`worker's heap filled: renderers +${mb(renderers())}`);
  await page.evaluate(() => (globalThis as unknown as { w: Worker }).w.terminate());
  console.log('terminated; renderers over the PSS before the worker, each second:');
  const row: string[] = [];
  for (let s = 1; s <= SECONDS; s++) {
    await sleep(1000);
    row.push(`${s} s +${mb(renderers())}`);
    if (s % 10 === 0) {
      console.log(`  ${row.join(', ')}`);
      row.length = 0;
    }
  }
} finally {
  await browser.close();
}
