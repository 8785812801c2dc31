import { describe, expect, it } from 'vitest';
import { buildWorkloadAnalyzer, filterQueries } from '../test-support/analyzer-workload.ts';

// npm run bench measures 1,000,000 calls; the test keeps CI light.
const N = Number(process.env.ANALYZE_BENCH_CALLS ?? 200_000);
/** Generous: the issue asks for < 200 ms; CI machines are noisy and shared. */
const BOUND_MS = 1000;

function time<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}

describe(`CallIndex at ${N.toLocaleString('en')} calls`, () => {
  it('filters under the bound (figures printed)', () => {
    const { a, buildMs, pool } = buildWorkloadAnalyzer(N);
    const ix = a.index;
    const [, finishMs] = time(() => a.summary());
    const rows: [string, number, number][] = [];
    const q = (label: string, f: () => Uint32Array) => {
      f(); // first run builds lazy structures (postings); report the steady state and the first
      const [r, ms] = time(f);
      rows.push([label, r.length, ms]);
      expect(ms, label).toBeLessThan(BOUND_MS);
      return r;
    };
    const [, firstKeyMs] = time(() => ix.callsOfKey(ix.keyIdOf(pool[123]!)));
    for (const [label, f] of filterQueries(a, pool)) q(label, f);
    const [, statsMs] = time(() => a.stats());
    const sum = a.summary();
    console.log(
      [
        `analyze bench: ${N} calls, ${ix.keys.size} keys, ${ix.columns().keyRefs.length} key refs`,
        `  build (index + lifecycles, args already decoded): ${buildMs.toFixed(0)} ms (${((buildMs * 1e3) / N).toFixed(2)} us/call)`,
        `  summary(): ${finishMs.toFixed(1)} ms; stats(): ${statsMs.toFixed(1)} ms; first callsOfKey (builds postings): ${firstKeyMs.toFixed(1)} ms`,
        `  requests: ${sum.requests.writes} writes, ${sum.requests.total} reads, read p50 ${(sum.phases.read.p50 * 1e6).toFixed(0)} us`,
        ...rows.map(([l, n, ms]) => `  ${l.padEnd(40)} ${String(n).padStart(8)} calls  ${ms.toFixed(1).padStart(7)} ms`),
      ].join('\n'),
    );
  }, 300_000);
});
