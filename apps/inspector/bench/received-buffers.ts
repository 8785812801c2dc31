/**
 * Why the inspector drops ArrayBuffers it received by postMessage instead of detaching them
 * (`buf.transfer(0)`) to free them sooner: in Chromium, detaching such a buffer frees nothing until
 * a garbage collection, and hides its bytes from the pressure that would start one. A worker posts
 * 20 buffers of 8 MB to the page three times: the page detaches them, drops them, or sends them
 * back; the ArrayBuffer memory is read (allocator-dump.ts) after each, then after a GC of the page.
 * `npx tsx apps/inspector/bench/received-buffers.ts`
 */
import { chromium } from '@playwright/test';
import { allocatorDump } from './allocator-dump.ts';

const AB = 'partition_alloc/partitions/array_buffer';
const browser = await chromium.launch({
  executablePath: process.env.KVTRACE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--js-flags=--expose-gc'],
});
const mb = async () => ((await allocatorDump(browser)).get(AB) ?? 0) / 1e6;
try {
  const page = await browser.newPage();
  await page.goto('data:text/html,<p>received buffers</p>');
  for (const mode of ['detach with transfer(0)', 'drop', 'send back to the worker']) {
    const before = await mb();
    await page.evaluate(async (mode) => {
      const src = `onmessage = (e) => { if (e.data !== 'go') return; for (let i = 0; i < 20; i++) { const b = new ArrayBuffer(8 << 20); new Uint8Array(b).fill(1); postMessage(b, [b]); } postMessage('done'); };`;
      const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })));
      (globalThis as unknown as { w: Worker }).w = w;
      await new Promise<void>((done) => {
        w.onmessage = (e: MessageEvent<ArrayBuffer | 'done'>) => {
          if (e.data === 'done') return done();
          if (mode.startsWith('detach')) (e.data as ArrayBuffer & { transfer(n: number): ArrayBuffer }).transfer(0);
          if (mode.startsWith('send')) w.postMessage(e.data, [e.data]);
        };
        w.postMessage('go');
      });
    }, mode);
    const after = await mb();
    await page.evaluate(() => (globalThis as unknown as { gc(): void }).gc());
    const collected = await mb();
    console.log(`${mode.padEnd(24)} 160 MB received: ArrayBuffer memory ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after, ${collected.toFixed(0)} MB after a GC of the page`);
    await page.evaluate(() => (globalThis as unknown as { w: Worker }).w.terminate());
  }
} finally {
  await browser.close();
}
