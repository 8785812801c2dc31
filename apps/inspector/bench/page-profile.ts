/**
 * Where the page's thread spends a big open: `npx tsx apps/inspector/bench/page-profile.ts
 * TRACE.lct [--indexed]` (build first: `npm run build`). Opens the file through the file input in a
 * fresh headless Chromium with V8's CPU profiler running on the page (DevTools protocol), from the
 * drop to data-state=ready (or to data-indexed=true), and prints the functions with the most self
 * time, named through the build's source maps (file and line of the source). The page's thread
 * shares the cores with the loading worker: what it does per batch slows the load.
 */
import { readFileSync } from 'node:fs';
import { SourceMapConsumer } from 'source-map-js';
import { DIST } from '../../../e2e/support/paths.ts';
import { startStaticServer } from '../../../e2e/support/static-server.ts';
import { freshPage, launchWithPid } from './measured-browser.ts';

const SAMPLING_US = 500;
const SHOWN = 25;

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function (source name and place where a map has them), ms, most first. */
function selfTimes(p: Profile): [string, number][] {
  const maps = new Map<string, SourceMapConsumer | null>();
  const mapOf = (url: string): SourceMapConsumer | null => {
    const file = url.split('/').pop()!;
    if (!maps.has(file)) {
      let m: SourceMapConsumer | null = null;
      try {
        m = new SourceMapConsumer(JSON.parse(readFileSync(`${DIST}/assets/${file}.map`, 'utf8')));
      } catch {
        // not one of the app's bundles (or no map): the minified name stands
      }
      maps.set(file, m);
    }
    return maps.get(file)!;
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    let name = f.functionName || '(anonymous)';
    const m = f.url ? mapOf(f.url) : null;
    if (m) {
      const o = m.originalPositionFor({ line: f.lineNumber + 1, column: f.columnNumber });
      if (o.source) name = `${o.name ?? name} ${o.source.split('/').slice(-2).join('/')}:${o.line}`;
    }
    self.set(name, (self.get(name) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]);
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/page-profile.ts TRACE.lct [--indexed]\n');
  process.exit(2);
}
const indexed = process.argv.includes('--indexed');
const { server, url } = await startStaticServer({ dist: DIST, tracesDir: '/tmp' });
const { browser } = await launchWithPid();
try {
  const page = await freshPage(browser, url);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: SAMPLING_US });
  await cdp.send('Profiler.start');
  const t0 = Date.now();
  await page.setInputFiles('[data-testid=file-input]', path);
  await page.waitForSelector(indexed ? '.app[data-indexed="true"]' : '.app[data-state="ready"]', { timeout: 600_000 });
  const wall = Date.now() - t0;
  const { profile } = await cdp.send('Profiler.stop');
  const rows = selfTimes(profile as Profile);
  const busy = rows.filter(([k]) => k !== '(idle)').reduce((a, [, v]) => a + v, 0);
  console.log(`page thread from the drop to ${indexed ? 'data-indexed' : 'data-state=ready'}: ${(wall / 1000).toFixed(1)} s wall, ${(busy / 1000).toFixed(2)} s busy (sampled); self time:`);
  for (const [k, v] of rows.slice(0, SHOWN)) console.log(`  ${v.toFixed(0).padStart(6)} ms  ${k}`);
} finally {
  await browser.close();
  server.close();
}
