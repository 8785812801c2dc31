/**
 * What one read of a File costs in Chromium, all processes counted: `npx tsx
 * apps/inspector/bench/read-cost.ts FILE [WORKERS] [ROUNDS]` (defaults 2 and 2). Workers read the
 * whole file in 16 MB slices (the shards' unit size) as the shards could: `stream()` (what they do),
 * `arrayBuffer()` and `FileReaderSync`; each way in turn, ROUNDS times, in one fresh headless
 * Chromium. Prints the wall time and the CPU of every process of the browser (threads sampled every
 * 100 ms, so workers keep their figure), per MB, beside the same bytes read by this Node process
 * (`readSync` into one buffer). The bytes cross from the browser process to the renderer by IPC:
 * on a 2-core machine one read of the 1M-call bench file cost seconds of CPU, the share of the
 * index phase that a second read of the file (the shards') costs.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { launchWithPid } from './measured-browser.ts';
import { loadAvg } from './process-memory.ts';
import { threadCpu } from './thread-cpu.ts';

const SLICE = 16 * 1024 * 1024;
const SAMPLE_MS = 100;
const MODES = ['stream', 'arrayBuffer', 'FileReaderSync'] as const;

// The workers' code: reads its slices one after another, touching every chunk (as a consumer would).
const WORKER = `
onmessage = async (e) => {
  const { file, mode, slices } = e.data;
  let n = 0, sum = 0;
  for (const [s, end] of slices) {
    const b = file.slice(s, end);
    if (mode === 'stream') {
      const r = b.stream().getReader();
      for (;;) { const x = await r.read(); if (x.done) break; n += x.value.length; sum += x.value[0]; }
    } else {
      const a = new Uint8Array(mode === 'arrayBuffer' ? await b.arrayBuffer() : new FileReaderSync().readAsArrayBuffer(b));
      n += a.length; sum += a[0];
    }
  }
  postMessage({ n, sum });
};`;

/** CPU ms by process kind ("browser", "renderer"...) between two samples of every thread. */
function byKind(first: Map<string, number>, last: Map<string, number>): Map<string, number> {
  const m = new Map<string, number>();
  for (const [k, v] of last) {
    const kind = k.slice(0, k.indexOf('/'));
    m.set(kind, (m.get(kind) ?? 0) + v - (first.get(k) ?? 0));
  }
  return m;
}

/** CPU ms this process spends reading the file with readSync into one reused buffer. */
function nodeRead(path: string): { ms: number; cpuMs: number; bytes: number } {
  const fd = openSync(path, 'r');
  const buf = new Uint8Array(SLICE);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let bytes = 0;
  try {
    const size = fstatSync(fd).size;
    while (bytes < size) {
      const n = readSync(fd, buf, 0, SLICE, bytes);
      if (n === 0) break;
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000, bytes };
}

const args = process.argv.slice(2);
const path = args[0];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/read-cost.ts FILE [WORKERS] [ROUNDS]\n');
  process.exit(2);
}
const workers = Number(args[1] ?? 2);
const rounds = Number(args[2] ?? 2);
const { browser, pid } = await launchWithPid();
try {
  const page = await browser.newPage();
  await page.setContent('<input type=file id=f>');
  await page.locator('#f').setInputFiles(path);
  console.log(`read of ${path} in ${SLICE >> 20} MB slices by ${workers} workers; ${availableParallelism()} cores, load average ${loadAvg()}`);
  console.log(`${'way'.padEnd(16)} ${'wall ms'.padStart(8)} ${'MB/s'.padStart(6)} ${'CPU ms'.padStart(7)} ${'CPU ms/MB'.padStart(9)}  by process`);
  for (let r = 0; r < rounds; r++) {
    for (const mode of MODES) {
      const first = threadCpu(pid);
      const t0 = performance.now();
      let done = false;
      const reading = page
        .evaluate(
          async ({ code, mode, workers, slice }) => {
            const file = (document.getElementById('f') as HTMLInputElement).files![0]!;
            const all: [number, number][] = [];
            for (let s = 0; s < file.size; s += slice) all.push([s, Math.min(file.size, s + slice)]);
            const url = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
            const started = Array.from({ length: workers }, () => new Worker(url));
            // Kept until the CPU is read (a terminated worker's threads are gone from /proc).
            (window as unknown as { __readers: Worker[] }).__readers = started;
            try {
              const res = await Promise.all(
                started.map(
                  (w, i) =>
                    new Promise<{ n: number }>((resolve, reject) => {
                      w.onmessage = (e) => resolve(e.data as { n: number });
                      w.onerror = (e) => reject(new Error(`a reading worker failed: ${e.message}`));
                      w.postMessage({ file, mode, slices: all.filter((_, j) => j % workers === i) });
                    }),
                ),
              );
              return res.reduce((a, x) => a + x.n, 0);
            } finally {
              URL.revokeObjectURL(url);
            }
          },
          { code: WORKER, mode, workers, slice: SLICE },
        )
        .finally(() => {
          done = true;
        });
      // Awaited after the sampling loop, which a failure ends: handled here so it is not reported first as unhandled.
      reading.catch(() => undefined);
      const last = new Map(first);
      while (!done) {
        for (const [k, v] of threadCpu(pid)) last.set(k, v);
        await new Promise((res) => setTimeout(res, SAMPLE_MS));
      }
      const bytes = await reading;
      const ms = performance.now() - t0;
      for (const [k, v] of threadCpu(pid)) last.set(k, v);
      await page.evaluate(() => (window as unknown as { __readers: Worker[] }).__readers.forEach((w) => w.terminate()));
      const kinds = byKind(first, last);
      const cpu = [...kinds.values()].reduce((a, v) => a + v, 0);
      const mb = bytes / 1e6;
      const split = [...kinds].filter(([, v]) => v >= 50).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
      console.log(`${mode.padEnd(16)} ${ms.toFixed(0).padStart(8)} ${(mb / (ms / 1000)).toFixed(0).padStart(6)} ${cpu.toFixed(0).padStart(7)} ${(cpu / mb).toFixed(2).padStart(9)}  ${split}`);
    }
    const n = nodeRead(path);
    console.log(`${'Node readSync'.padEnd(16)} ${n.ms.toFixed(0).padStart(8)} ${(n.bytes / 1e6 / (n.ms / 1000)).toFixed(0).padStart(6)} ${n.cpuMs.toFixed(0).padStart(7)} ${(n.cpuMs / (n.bytes / 1e6)).toFixed(2).padStart(9)}  this process`);
  }
} finally {
  await browser.close();
}
