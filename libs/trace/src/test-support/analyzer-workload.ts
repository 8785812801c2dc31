/**
 * The analysis benchmark's workload (the filter-speed test at small N, `npm run bench` at 1,000,000
 * calls): the builder's seeded traffic, 16 keys per request, fed to a TraceAnalyzer.
 */
import { TraceAnalyzer } from '../analyze/analyzer.ts';
import { SIGNATURES } from './methods.ts';
import type { ObjectKey } from '../model.ts';
import { trafficCalls, type TrafficCall } from './traffic.ts';

/** Calls generated per chunk: generation is not timed, only feeding the analyzer is. */
const CHUNK = 10_000;
const POOL = 5000;

/** `n` calls of 16-key traffic in a fresh analyzer; `buildMs` is the analyzer's time alone; `pool` holds distinct keys in first-seen order. */
export function buildWorkloadAnalyzer(n: number): { a: TraceAnalyzer; buildMs: number; pool: ObjectKey[] } {
  const a = new TraceAnalyzer();
  const methodId = new Map(Object.entries(SIGNATURES).map(([m, sig]) => [m, a.index.methods.intern(sig.qualname)]));
  const seen = new Set<ObjectKey>();
  const pool: ObjectKey[] = [];
  const calls = trafficCalls({ seed: 7, records: n, keysPerCall: 16, documents: 4096, zipf: 0.8, gapS: 0.0001 });
  const chunk: TrafficCall[] = [];
  let buildMs = 0;
  let c = 0;
  for (let done = false; !done; ) {
    chunk.length = 0;
    for (let i = 0; i < CHUNK; i++) {
      const next = calls.next();
      if (next.done) {
        done = true;
        break;
      }
      chunk.push(next.value);
      if (pool.length < POOL) {
        for (const k of (next.value.args as { keys: ObjectKey[] }).keys)
          if (!seen.has(k)) {
            seen.add(k);
            pool.push(k);
          }
      }
    }
    const t0 = performance.now();
    for (const call of chunk) a.add(c++, methodId.get(call.method)!, call.t, call.args as Record<string, unknown>);
    buildMs += performance.now() - t0;
  }
  return { a, buildMs, pool };
}

/** The filter queries whose speed is measured, as [label, query] pairs. */
export function filterQueries(a: TraceAnalyzer, pool: readonly ObjectKey[]): [string, () => Uint32Array][] {
  const ix = a.index;
  const tMid = ix.timeOf(ix.length >> 1);
  const key = (i: number) => pool[i % pool.length]!;
  return [
    ['text: request id "req-12345"', () => ix.filter({ text: 'req-12345' })],
    ['text: hash prefix (6 hex)', () => ix.filter({ text: key(42).hashHex.slice(0, 6) })],
    ['text: hash prefix (2 hex, ~1/256 keys)', () => ix.filter({ text: key(42).hashHex.slice(0, 2) })],
    ['text: model "llama" (one of two models)', () => ix.filter({ text: 'llama' })],
    ['text: argument text "mode=new"', () => ix.filter({ text: 'mode=new' })],
    ['text: two terms "llama mode=new"', () => ix.filter({ text: 'llama mode=new' })],
    ['methods + time window', () => ix.filter({ methods: [0, 2], t0: tMid, t1: tMid + 10 })],
    ['methods + window + text', () => ix.filter({ methods: [2], t0: 0, t1: tMid, text: 'req-1' })],
    ['follow key', () => ix.filter({ keyId: ix.keyIdOf(key(4242)) })],
    ['no filter (all calls)', () => ix.filter({})],
  ];
}
