/**
 * Where the CPU goes while a big trace opens: `npx tsx apps/inspector/bench/phase-cpu.ts TRACE.lct`
 * (build first: `npm run build`). Opens the file through the file input in a fresh headless
 * Chromium and reads every thread's CPU time (/proc/PID/task/TID/stat) of every process of that
 * browser: from the drop to data-state=ready (the reading pass), and from there to
 * data-indexed=true (shards and merge). Threads are sampled every 100 ms during the index, so the
 * shard workers, terminated before it ends, keep their last figure. Prints, per phase, its wall
 * time, the CPU of each busy thread and how busy the machine's cores were: whether the index waits
 * on the CPU or on something else. Thread names are Chromium's: DedicatedWorker (the loading and
 * shard workers), ThreadPoolForeg (V8's background compilation and GC among others), chromium (the
 * page's main thread), Chrome_IOThread (the browser's file reads).
 */
import { availableParallelism } from 'node:os';
import { DIST } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { freshPage, launchWithPid } from './measured-browser.ts';
import { threadCpu } from './thread-cpu.ts';

const SAMPLE_MS = 100;
const SHOWN_MS = 100;

/** `last` over `first` per thread (a thread not seen at first started during the phase). */
function report(label: string, wallMs: number, first: Map<string, number>, last: Map<string, number>): void {
  const rows = [...last].map(([k, v]) => [k, v - (first.get(k) ?? 0)] as const).filter(([, v]) => v >= SHOWN_MS);
  const total = [...last].reduce((a, [k, v]) => a + v - (first.get(k) ?? 0), 0);
  const cores = availableParallelism();
  console.log(`${label}: ${(wallMs / 1000).toFixed(1)} s wall, ${(total / 1000).toFixed(1)} s CPU = ${((100 * total) / (wallMs * cores)).toFixed(0)}% of ${cores} cores`);
  for (const [k, v] of rows.sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(44)} ${(v / 1000).toFixed(2)} s`);
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/phase-cpu.ts TRACE.lct\n');
  process.exit(2);
}
const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const { browser, pid } = await launchWithPid();
try {
  const page = await freshPage(browser, url);
  const s0 = threadCpu(pid);
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector('.app[data-state="ready"]', { timeout: 600_000 });
  const s1 = threadCpu(pid);
  const t1 = Date.now();
  let indexed = false;
  const done = page.waitForSelector('.app[data-indexed="true"]', { timeout: 600_000 }).then(() => void (indexed = true));
  const last = new Map(s1);
  while (!indexed) {
    for (const [k, v] of threadCpu(pid)) last.set(k, v);
    await new Promise((r) => setTimeout(r, SAMPLE_MS));
  }
  await done;
  for (const [k, v] of threadCpu(pid)) last.set(k, v);
  const t2 = Date.now();
  report('reading pass (drop to data-state=ready)', t1 - t0, s0, s1);
  report('index (ready to data-indexed)', t2 - t1, s1, last);
} finally {
  await browser.close();
  server.close();
}
