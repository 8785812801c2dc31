import { SM_METHODS, smQualname } from '../format/spec.ts';
import { ObjectKey } from '../model.ts';
import { rng } from '../test-support/workload.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { LAYOUT } from './testing.ts';

/** Shared by the filter-speed test (small N) and `npm run bench` (1,000,000 calls). */
export /** Workload-shaped calls: writes (reserve, finish) and reads (prefetch, enter, exit, release) of 16 keys. */
function buildWorkloadAnalyzer(n: number): { a: TraceAnalyzer; buildMs: number; pool: ObjectKey[] } {
  const rand = rng(7);
  const pool = Array.from({ length: 200_000 }, (_, i) => {
    const h = new Uint8Array(32);
    for (let j = 0; j < 32; j++) h[j] = (rand() * 256) | 0;
    return new ObjectKey(h, i % 2 ? 'meta-llama/Llama-3.1-8B-Instruct' : 'Qwen/Qwen2.5-7B-Instruct', 0x01000100);
  });
  const a = new TraceAnalyzer();
  const m = Object.fromEntries(Object.entries(SM_METHODS).map(([k, v]) => [k, a.index.methods.intern(smQualname(v))])) as Record<keyof typeof SM_METHODS, number>;
  const t0 = performance.now();
  let c = 0, req = 0;
  while (c < n) {
    const start = (rand() * (pool.length - 16)) | 0;
    const keys = pool.slice(start, start + 16);
    const t = c * 1e-4;
    if (rand() < 0.4) {
      a.add(c, m.reserveWrite, t, { keys, layout_desc: LAYOUT, mode: 'new' }); c++;
      a.add(c, m.finishWrite, t + 1e-5, { keys }); c++;
    } else {
      a.add(c, m.submitPrefetchTask, t, { keys, layout_desc: LAYOUT, extra_count: 0, external_request_id: `req-${req++}`, skip_l2: false }); c++;
      a.add(c, m.readPrefetchedEnter, t + 1e-5, { keys }); c++;
      a.add(c, m.readPrefetchedExit, t + 2e-5, { keys }); c++;
      a.add(c, m.finishReadPrefetched, t + 3e-5, { keys, extra_count: 0 }); c++;
    }
  }
  return { a, buildMs: performance.now() - t0, pool };
}


/** The filter queries whose speed is measured, as [label, query] pairs. */
export function filterQueries(a: TraceAnalyzer, pool: ObjectKey[]): [string, () => Uint32Array][] {
  const ix = a.index;
  const tMid = ix.timeOf(ix.length >> 1);
  return [
    ['text: request id "req-12345"', () => ix.filter({ text: 'req-12345' })],
    ['text: hash prefix (6 hex)', () => ix.filter({ text: pool[42]!.hashHex.slice(0, 6) })],
    ['text: hash prefix (2 hex, ~1/256 keys)', () => ix.filter({ text: pool[42]!.hashHex.slice(0, 2) })],
    ['text: model "llama" (half the calls)', () => ix.filter({ text: 'llama' })],
    ['text: argument text "mode=new"', () => ix.filter({ text: 'mode=new' })],
    ['text: two terms "llama mode=new"', () => ix.filter({ text: 'llama mode=new' })],
    ['methods + time window', () => ix.filter({ methods: [0, 2], t0: tMid, t1: tMid + 10 })],
    ['methods + window + text', () => ix.filter({ methods: [2], t0: 0, t1: tMid, text: 'req-1' })],
    ['follow key', () => ix.filter({ keyId: ix.keyIdOf(pool[4242]!) })],
    ['no filter (all calls)', () => ix.filter({})],
  ];
}
