/**
 * `npm run bench` section for the inspector, in headless Chromium against the built app. Traces are
 * opened from the file input (a disk-backed File, as a user opens one) and timed in the page:
 * first row, table ready (data-state) and call index complete (data-indexed) for a 1M-call trace
 * (4 ObjectKeys per call, ~0.8 GB) and the 3M small-call trace; msgpackr's plain per-frame decode of
 * the same File in the same page is the load baseline. Memory is what the machine pays: the PSS of
 * every process of the Chromium the bench launched (browser, zygote, renderer with its workers, GPU,
 * utilities), after load and index minus before, per call, at two moments: as data-indexed turns
 * true (the peak: the workers' young generations are at their largest, garbage not yet collected)
 * and settled, once the tab has sat idle until its PSS stops falling (settledMemory: V8's memory
 * reducer and the allocators have given back what the load no longer uses; what the user pays
 * while working with the trace). The issue's key (`inspector_pss_bytes_per_record`) is the first.
 * "Before" is settled the same way. Each run is a fresh browser. The
 * production-size trace (2M calls x 16-32 keys, ~6.6 GB, generated once and cached) is opened once.
 */
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import type { BenchSection } from '../../../scripts/bench-types.ts';
import { ensureTrace, type GenOptions } from '../../../e2e/support/gen-traces.ts';
import { CACHE, DIST, FIXTURES, ROOT } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { ensureBigTrace } from '@kvtrace/trace/bench/big-trace';
import { msgpackrBaseline, openFromInput, rawReadBaseline, type OpenTiming } from './open-timing.ts';
import { browserMemory, collectGarbage, freshPage, launchWithPid } from './measured-browser.ts';
import { allocatorDelta, allocatorDump, type AllocatorSizes } from './allocator-dump.ts';
import { loadAvg, pssByKind, totalPss, type ProcessMemory } from './process-memory.ts';

const BENCH_DIR = `${CACHE}/bench`;
const RUNS = 3;
const WARMUP = `${FIXTURES}workload-small.lct`;
/**
 * Idle time before the first "settled" sample (then one every SETTLE_STEP_MS until two agree).
 * V8's memory reducer starts some seconds after allocation stops: `bench/pss-settle.ts` on the
 * 1M-call file read 216 B a call at data-indexed, 253 B at 10 s, 118 B at 15 s and 110-112 B from 20
 * to 60 s (its own memory dumps every 5 s add a little early on).
 */
const SETTLE_MS = 25_000;
const SETTLE_STEP_MS = 5_000;
const SETTLE_MAX_MS = 90_000;
/** Two samples this close (a fraction of the browser's whole PSS: ~3 MB of ~550) are settled. */
const SETTLE_TOLERANCE = 0.005;

interface TraceSpec {
  label: string;
  file: string;
  gen: GenOptions;
}
const BIG: TraceSpec = { label: '1M calls x 4 ObjectKeys', file: 'load-1m-4keys.lct', gen: { records: 1_000_000, keys: 4 } };
/** The e2e scrolling trace's shape (e2e/support/prepare.ts): key-only methods, 1 key in 1000 calls. */
const SMALL: TraceSpec = { label: '3M small calls', file: 'small-3m.lct', gen: { records: 3_000_000, keys: 1, keyEvery: 1000, small: true } };

interface Run {
  timing: OpenTiming;
  /** Settled, after the warm-up opens. */
  before: ProcessMemory[];
  /** As data-indexed turns true. */
  after: ProcessMemory[];
  /** Settled, the tab idle (settledMemory). */
  settled: ProcessMemory[];
  /** When the settled sample was taken, from data-indexed, and whether two samples agreed. */
  settle: { afterMs: number; settled: boolean };
  /** The same three moments by allocator (allocator-dump.ts), read just after each PSS sample. */
  allocators: { before: AllocatorSizes; after: AllocatorSizes; settled: AllocatorSizes };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const mb = (b: number) => `${(b / 1e6).toFixed(0)} MB`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The browser's memory once the tab has sat idle: sampled from SETTLE_MS on, every SETTLE_STEP_MS,
 * until two samples in a row agree within SETTLE_TOLERANCE of the PSS (or SETTLE_MAX_MS). Returns
 * the last sample, when it was taken, and whether it had settled.
 */
async function settledMemory(pid: number): Promise<{ memory: ProcessMemory[]; afterMs: number; settled: boolean }> {
  const t0 = performance.now();
  await sleep(SETTLE_MS);
  let prev = browserMemory(pid);
  for (;;) {
    await sleep(SETTLE_STEP_MS);
    const now = browserMemory(pid);
    const afterMs = performance.now() - t0;
    const settled = Math.abs(totalPss(now) - totalPss(prev)) <= SETTLE_TOLERANCE * totalPss(now);
    if (settled || afterMs >= SETTLE_MAX_MS) return { memory: now, afterMs, settled };
    prev = now;
  }
}


const pidsOf = (m: ProcessMemory[]) => {
  const pids = new Set(m.map((p) => p.pid));
  return (pid: number) => pids.has(pid);
};

/** One fresh browser: warm up on the small fixture, measure, open `path`, wait for the index, measure. */
async function measuredRun(url: string, path: string, records: number): Promise<Run & { browser: Browser; page: Page }> {
  const { browser, pid } = await launchWithPid();
  const page = await freshPage(browser, url);
  for (let i = 0; i < 2; i++) await openFromInput(page, WARMUP, true);
  await collectGarbage(page);
  const before = (await settledMemory(pid)).memory;
  const allocBefore = await allocatorDump(browser, pidsOf(before));
  const timing = await openFromInput(page, path, true);
  if (timing.records !== records || timing.state !== 'ready') throw new Error(`expected ${records} records ready, the page shows ${timing.records} (${timing.state})`);
  const after = browserMemory(pid);
  const allocAfter = await allocatorDump(browser, pidsOf(after));
  const s = await settledMemory(pid);
  const settled = s.memory;
  const allocSettled = await allocatorDump(browser, pidsOf(settled));
  return { browser, page, timing, before, after, settled, settle: { afterMs: s.afterMs, settled: s.settled }, allocators: { before: allocBefore, after: allocAfter, settled: allocSettled } };
}

async function filterTimes(page: Page): Promise<{ hash: number; model: number; method: number }> {
  const queryMs = async (fill: () => Promise<void>): Promise<number> => {
    await fill();
    await page.waitForFunction(() => {
      const el = document.querySelector('[data-testid=filter-count]');
      return el !== null && / \d+ ms/.test(el.textContent ?? '') && !/filtering/.test(el.textContent ?? '');
    });
    const text = (await page.locator('[data-testid=filter-count]').textContent()) ?? '';
    return Number(/(\d+) ms/.exec(text)?.[1] ?? NaN);
  };
  const search = page.getByRole('searchbox', { name: 'Argument query' });
  const cleared = () => page.waitForFunction(() => !/of/.test(document.querySelector('[data-testid=filter-count]')?.textContent ?? 'of'));
  const hash = await queryMs(() => search.fill('hash:ab'));
  await search.fill('');
  await cleared();
  const model = await queryMs(() => search.fill('llama'));
  await search.fill('');
  await cleared();
  const method = await queryMs(() => page.getByRole('group', { name: 'Methods' }).getByRole('button', { name: 'finish_write', exact: true }).click());
  return { hash, model, method };
}

/** Where the PSS went, by allocator, for the median run (by settled PSS per call): at data-indexed, and settled. */
function allocatorNote(label: string, runs: Run[], records: number): string {
  const sorted = [...runs].sort((a, b) => totalPss(a.settled) - totalPss(a.before) - (totalPss(b.settled) - totalPss(b.before)));
  const r = sorted[Math.floor(sorted.length / 2)]!;
  const a = r.allocators;
  return `${label}: growth per call by allocator (B, the processes measured for PSS, median run): at data-indexed ${allocatorDelta(a.before, a.after, records)}; settled ${allocatorDelta(a.before, a.settled, records)}`;
}

/** When the runs' settled samples were taken, and whether each had settled. */
function settleNote(runs: Run[]): string {
  const unsettled = runs.filter((r) => !r.settle.settled).length;
  return `settled at ${runs.map((r) => (r.settle.afterMs / 1000).toFixed(0)).join(', ')} s idle${unsettled > 0 ? `; ${unsettled} not settled by ${SETTLE_MAX_MS / 1000} s` : ''}`;
}

function memoryNote(label: string, runs: Run[], records: number): string {
  const kinds = new Map<string, number[]>();
  for (const r of runs) {
    const b = pssByKind(r.before);
    for (const [k, v] of pssByKind(r.settled)) kinds.set(k, [...(kinds.get(k) ?? []), v - (b.get(k) ?? 0)]);
  }
  const parts = [...kinds].map(([k, d]) => `${k} ${(median(d) / records).toFixed(0)}`).join(', ');
  const procs = median(runs.map((r) => r.settled.length));
  return `${label}: settled PSS delta per call by process kind (median): ${parts}; ${procs} processes after; before ${mb(median(runs.map((r) => totalPss(r.before))))}`;
}

export async function run(): Promise<BenchSection[]> {
  if (!existsSync(`${DIST}/index.html`)) execSync('npm run build -w @kvtrace/inspector', { cwd: ROOT, stdio: 'inherit' });
  const notes: string[] = [];
  const paths = new Map<TraceSpec, string>();
  for (const t of [BIG, SMALL]) {
    const t0 = performance.now();
    const g = ensureTrace(`${BENCH_DIR}/${t.file}`, t.gen);
    notes.push(g.generated ? `generated ${t.file} in ${((performance.now() - t0) / 1000).toFixed(1)} s` : `reused ${t.file}`);
    paths.set(t, g.path);
  }
  const bigPath = paths.get(BIG)!;
  const bigMb = statSync(bigPath).size / 1e6;
  const loadBefore = loadAvg();

  const { server, url } = await startStaticServer({ dist: DIST, tracesDir: BENCH_DIR });
  try {
    const bigRuns: Run[] = [];
    let filters = { hash: NaN, model: NaN, method: NaN };
    const base: { ms: number; records: number }[] = [];
    const raw: { ms: number; bytes: number }[] = [];
    const small: OpenTiming[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await measuredRun(url, bigPath, BIG.gen.records);
      try {
        bigRuns.push(r);
        if (i === RUNS - 1) {
          filters = await filterTimes(r.page);
          await r.page.addScriptTag({ content: readFileSync(`${ROOT}node_modules/msgpackr/dist/index.min.js`, 'utf8') });
          for (let j = 0; j < RUNS; j++) {
            base.push(await msgpackrBaseline(r.page));
            raw.push(await rawReadBaseline(r.page));
          }
          if (base[0]!.records !== BIG.gen.records) throw new Error(`msgpackr baseline read ${base[0]!.records} records`);
          for (let j = 0; j < RUNS; j++) small.push(await openFromInput(r.page, WARMUP, false));
        }
      } finally {
        await r.browser.close();
      }
    }
    const smallRuns: Run[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await measuredRun(url, paths.get(SMALL)!, SMALL.gen.records);
      await r.browser.close();
      smallRuns.push(r);
    }
    // The production-size trace (libs/trace/bench/big-trace.ts: 2M calls x 16-32 keys, ~6.6 GB),
    // once: a run takes a few minutes here.
    const t6 = performance.now();
    const huge = ensureBigTrace(BENCH_DIR);
    notes.push(huge.generatedMs === null ? `reused ${huge.path.split('/').pop()}` : `generated ${huge.path.split('/').pop()} in ${((performance.now() - t6) / 1000).toFixed(1)} s`);
    const hugeRun = await measuredRun(url, huge.path, huge.records);
    await hugeRun.browser.close();
    const loadAfter = loadAvg();

    const perCall = (runs: Run[], records: number, after: (r: Run) => ProcessMemory[]) => median(runs.map((r) => (totalPss(after(r)) - totalPss(r.before)) / records));
    const pss = perCall(bigRuns, BIG.gen.records, (r) => r.settled);
    const pssPeak = perCall(bigRuns, BIG.gen.records, (r) => r.after);
    const pssSmall = perCall(smallRuns, SMALL.gen.records, (r) => r.settled);
    const pssSmallPeak = perCall(smallRuns, SMALL.gen.records, (r) => r.after);
    const pssHuge = perCall([hugeRun], huge.records, (r) => r.settled);
    const pssHugePeak = perCall([hugeRun], huge.records, (r) => r.after);
    const loadMs = median(bigRuns.map((r) => r.timing.readyMs));
    const indexMs = median(bigRuns.map((r) => r.timing.indexedMs));
    const indexRatio = median(bigRuns.map((r) => r.timing.indexedMs / r.timing.readyMs));
    const smallLoadMs = median(smallRuns.map((r) => r.timing.readyMs));
    const smallIndexMs = median(smallRuns.map((r) => r.timing.indexedMs));
    const firstRowBig = median(bigRuns.map((r) => r.timing.firstRowMs));
    const firstRowSmall = median(small.map((t) => t.firstRowMs));
    const baseMs = median(base.map((b) => b.ms));
    const ratio = baseMs / loadMs;
    const rawMs = median(raw.map((b) => b.ms));
    const recs = BIG.gen.records;
    return [
      {
        title: `Inspector (headless Chromium, built app, traces opened from the file input; medians of ${RUNS} fresh browsers)`,
        head: ['measure', 'value', 'target / note'],
        rows: [
          [`first row after open, ${BIG.label}`, `${firstRowBig.toFixed(0)} ms`, '< 300 ms'],
          ['first row after open, workload-small.lct (300 calls)', `${firstRowSmall.toFixed(0)} ms`, '< 300 ms'],
          [`table ready (data-state=ready), ${BIG.label} (${bigMb.toFixed(0)} MB)`, `${loadMs.toFixed(0)} ms`, `${((recs / loadMs) * 1000 / 1e6).toFixed(2)} M calls/s, ${((bigMb / loadMs) * 1000).toFixed(0)} MB/s`],
          ['msgpackr 2.1.4 unpack per frame, same page and File', `${baseMs.toFixed(0)} ms`, 'full decode, main thread'],
          ['load ratio vs msgpackr (msgpackr time / table-ready time)', `${ratio.toFixed(2)}x`, '>= 5x'],
          ['File.stream() read to the end, nothing parsed, same page and File', `${rawMs.toFixed(0)} ms`, `${((bigMb / rawMs) * 1000).toFixed(0)} MB/s: the floor of any reader here`],
          ['  best ratio vs msgpackr any reader could reach (msgpackr time / raw read time)', `${(baseMs / rawMs).toFixed(2)}x`, `table ready is ${(loadMs / rawMs).toFixed(2)}x the raw read`],
          [`call index complete (data-indexed=true), ${BIG.label}`, `${indexMs.toFixed(0)} ms`, 'from the same open'],
          ['index / table-ready time', `${indexRatio.toFixed(2)}x`, '<= 2x'],
          [`browser PSS per call as data-indexed turns true (the peak), ${BIG.label}`, `${pssPeak.toFixed(0)} B`, '<= 120 B (whole process tree, minus before)'],
          ['  same, settled (the tab idle: what the user pays while working)', `${pss.toFixed(0)} B`, settleNote(bigRuns)],
          [`table ready / index complete, ${SMALL.label} (${(statSync(paths.get(SMALL)!).size / 1e6).toFixed(0)} MB)`, `${smallLoadMs.toFixed(0)} / ${smallIndexMs.toFixed(0)} ms`, ''],
          [`browser PSS per call at data-indexed / settled, ${SMALL.label}`, `${pssSmallPeak.toFixed(0)} / ${pssSmall.toFixed(0)} B`, settleNote(smallRuns)],
          [`table ready / index complete, production-size trace (${(huge.records / 1e6).toFixed(0)}M calls x 16-32 keys, ${(huge.bytes / 1e9).toFixed(2)} GB), one run`, `${(hugeRun.timing.readyMs / 1000).toFixed(1)} / ${(hugeRun.timing.indexedMs / 1000).toFixed(1)} s`, `${((huge.bytes / 1e6 / hugeRun.timing.readyMs) * 1000).toFixed(0)} MB/s; index/ready ${(hugeRun.timing.indexedMs / hugeRun.timing.readyMs).toFixed(2)}x`],
          ['browser PSS per call at data-indexed / settled, production-size trace', `${pssHugePeak.toFixed(0)} / ${pssHuge.toFixed(0)} B`, settleNote([hugeRun])],
          [`filter ${recs / 1e6}M calls, hash prefix \`hash:ab\` (worker query + transfer, UI round trip)`, `${filters.hash} ms`, '< 200 ms'],
          ['filter, model substring `llama`', `${filters.model} ms`, '< 200 ms'],
          ['filter, one method off', `${filters.method} ms`, '< 200 ms'],
        ],
        json: {
          inspector_first_row_ms: Math.round(firstRowBig),
          inspector_load_1m_ms: Math.round(loadMs),
          inspector_load_ratio_vs_msgpackr: Number(ratio.toFixed(3)),
          inspector_raw_read_1m_ms: Math.round(rawMs),
          inspector_load_to_raw_read_ratio: Number((loadMs / rawMs).toFixed(3)),
          inspector_index_1m_ms: Math.round(indexMs),
          inspector_index_to_load_ratio: Number(indexRatio.toFixed(3)),
          inspector_pss_bytes_per_record: Math.round(pssPeak),
          inspector_pss_settled_bytes_per_record: Math.round(pss),
          inspector_small3m_pss_bytes_per_record: Math.round(pssSmallPeak),
          inspector_small3m_pss_settled_bytes_per_record: Math.round(pssSmall),
          inspector_small3m_load_ms: Math.round(smallLoadMs),
          inspector_small3m_index_ms: Math.round(smallIndexMs),
          inspector_6gb_load_ms: Math.round(hugeRun.timing.readyMs),
          inspector_6gb_index_ms: Math.round(hugeRun.timing.indexedMs),
          inspector_6gb_pss_bytes_per_record: Math.round(pssHugePeak),
          inspector_6gb_pss_settled_bytes_per_record: Math.round(pssHuge),
          inspector_filter_1m_hash_ms: filters.hash,
          inspector_filter_1m_model_ms: filters.model,
          inspector_filter_1m_method_ms: filters.method,
        },
        notes: [
          ...notes,
          `machine load (/proc/loadavg 1/5/15 min): ${loadBefore} before, ${loadAfter} after; 2 cores shared`,
          `per-run PSS per call, ${BIG.label}, settled: ${bigRuns.map((r) => ((totalPss(r.settled) - totalPss(r.before)) / recs).toFixed(0)).join(', ')} B, at data-indexed: ${bigRuns.map((r) => ((totalPss(r.after) - totalPss(r.before)) / recs).toFixed(0)).join(', ')} B; index/ready: ${bigRuns.map((r) => (r.timing.indexedMs / r.timing.readyMs).toFixed(2)).join(', ')}`,
          memoryNote(BIG.label, bigRuns, recs),
          memoryNote(SMALL.label, smallRuns, SMALL.gen.records),
          memoryNote('production-size trace', [hugeRun], huge.records),
          allocatorNote(BIG.label, bigRuns, recs),
          allocatorNote(SMALL.label, smallRuns, SMALL.gen.records),
          allocatorNote('production-size trace', [hugeRun], huge.records),
          `PSS: sum of Pss: in /proc/PID/smaps_rollup over the launched browser process and all its descendants; "before" after two warm-up opens of workload-small.lct and a full GC; "at data-indexed" as soon as data-indexed=true; "settled": the tab idle, sampled from ${SETTLE_MS / 1000} s after data-indexed every ${SETTLE_STEP_MS / 1000} s until two samples agree within ${SETTLE_TOLERANCE * 100}% of the PSS (at most ${SETTLE_MAX_MS / 1000} s); "before" settled the same way`,
          'times: from the file input change event (in the page) to the first data row, data-state=ready and data-indexed=true',
        ],
      },
    ];
  } finally {
    server.close();
  }
}

if (process.argv[1]?.endsWith('inspector.bench.ts')) {
  const sections = await run();
  console.log(JSON.stringify(sections, null, 2));
}
