import { describe, expect, it } from 'vitest';
import { trafficCalls, type TrafficSummary } from '../test-support/traffic.ts';
import { Script } from './testing.ts';

/**
 * The request analysis against the traffic generator's own state (test-support/traffic.ts): a
 * concurrent, PREFIX-only workload over shared document prefixes, cut off mid-flight. The requests
 * the cut left between prefetch and release hold exactly the keys they found, and nothing else is
 * held: the analysis must call leaked exactly the keys a request read and kept, and at least
 * undecided what an unread request holds. (It may call a few more keys undecided where many
 * requests of one hot prefix are in flight: entry-only records cannot always pair them.)
 */
function analyze(seed: number, concurrency: number, keysPerCall: number | [number, number]) {
  const summary: TrafficSummary = { records: 0, requests: 0, byMethod: {}, keysFound: 0, keysLookedUp: 0 };
  const s = new Script();
  for (const c of trafficCalls({ records: 40_000, keysPerCall, seed, concurrency, gapS: 0.0001 }, summary)) s.call(c.method, c.args as Record<string, unknown>);
  const ids = (keys: readonly Parameters<Script['id']>[0][]) => keys.map((k) => s.id(k));
  const readHeld = new Set(summary.inFlight!.filter((r) => r.read).flatMap((r) => ids(r.keys)));
  const unreadHeld = new Set(summary.inFlight!.filter((r) => !r.read).flatMap((r) => ids(r.keys)));
  const flagged = (kind: string) => new Set(s.a.flagGroups().filter((g) => g.kind === kind).flatMap((g) => g.keyIds));
  return { summary, readHeld, unreadHeld, leaked: flagged('read_leaked'), undecided: flagged('read_undecided'), sum: s.a.summary() };
}

const sorted = (x: Iterable<number>) => [...x].sort((a, b) => a - b);

describe('request analysis against the traffic generator\'s state at its end', () => {
  for (const [seed, concurrency, keys] of [
    [7, 4, 4],
    [11, 4, [2, 12]],
    [12, 4, [1, 6]],
    [8, 16, 4],
    [9, 16, [2, 12]],
    [10, 32, [1, 6]],
  ] as const) {
    it(`seed ${seed}, ${concurrency} requests in flight, ${JSON.stringify(keys)} keys a call: leaked is exactly what was read and not given back; what an unread request holds is undecided`, () => {
      const r = analyze(seed, concurrency, keys as number | [number, number]);
      expect(r.summary.inFlight!.length).toBeGreaterThan(0);
      expect(sorted(r.leaked)).toEqual(sorted(r.readHeld));
      for (const k of r.unreadHeld) expect(r.leaked.has(k) || r.undecided.has(k), `key ${k} is held by an unread request`).toBe(true);
    });
  }
});
