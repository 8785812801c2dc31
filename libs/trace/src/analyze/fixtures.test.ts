import { describe, expect, it } from 'vitest';
import { SM_METHODS, smQualname } from '../format/spec.ts';
import { ObjectKey, type TraceRecord } from '../model.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { fixtureBytes, manifest } from '../test-support/fixtures.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { nearestRank } from './percentiles.ts';

function load(file: string): { a: TraceAnalyzer; recs: TraceRecord[] } {
  const p = new TraceParser();
  const recs = p.push(fixtureBytes(file));
  p.finish();
  const a = new TraceAnalyzer();
  for (const r of recs) a.addRecord(r);
  return { a, recs };
}

const keysOf = (r: TraceRecord): ObjectKey[] => (r.args()['keys'] as unknown[]).filter((k): k is ObjectKey => k instanceof ObjectKey);
const keyTotal = (recs: TraceRecord[], method: string) =>
  recs.filter((r) => r.qualname === smQualname(method)).reduce((n, r) => n + new Set(keysOf(r).map((k) => k.id)).size, 0);

describe('analysis of LMCache fixtures', () => {
  it('workload-small.lct: counts, lifecycles and keys per call agree with the raw records', () => {
    const { a, recs } = load('workload-small.lct');
    const st = a.stats({ bins: 20 });
    const expected = manifest()['workload-small.lct']!['by_qualname'] as Record<string, number>;
    expect(Object.fromEntries(st.methods.map((m) => [m.qualname, m.count]))).toEqual(expected);
    expect(st.methods.reduce((s, m) => s + m.share, 0)).toBeCloseTo(1, 12);
    for (const m of st.methods) expect(m.rateOverTime.reduce((s, r) => s + r * st.bins.width, 0)).toBeCloseTo(m.count, 6);

    const lc = st.lifecycle!;
    const calls = (m: string) => recs.filter((r) => r.qualname === smQualname(m)).length;
    // Every reserved key is finished and every read released in this trace: all paired, nothing flagged.
    expect(lc.lifecycles.writes_paired).toBe(keyTotal(recs, SM_METHODS.finishWrite));
    expect(lc.lifecycles.writes_paired).toBe(keyTotal(recs, SM_METHODS.reserveWrite));
    expect(lc.lifecycles.reads_paired).toBe(keyTotal(recs, SM_METHODS.finishReadPrefetched));
    expect(lc.lifecycles).toMatchObject({ writes_leaked: 0, writes_undecided: 0, reads_leaked: 0, reads_undecided: 0 });
    expect(Object.values(lc.flagCounts).every((n) => n === 0)).toBe(true);
    // One duration per request, not per key.
    expect(lc.requests.total).toBe(calls(SM_METHODS.submitPrefetchTask));
    expect(lc.phases.read.count).toBe(calls(SM_METHODS.finishReadPrefetched));
    expect(lc.phases.write.count).toBe(calls(SM_METHODS.finishWrite));
    expect(lc.unknownShape).toBe(0);
    expect(lc.phases.read.p50).toBeGreaterThan(0);
    expect(lc.phases.read.p50).toBeLessThanOrEqual(lc.phases.read.p90);
    expect(lc.phases.read.p90).toBeLessThanOrEqual(lc.phases.read.p99);

    const reserve = st.methods.find((m) => m.name === SM_METHODS.reserveWrite)!;
    const sizes = recs.filter((r) => r.qualname === reserve.qualname).map((r) => keysOf(r).length).sort((x, y) => x - y);
    expect(reserve.keysPerCall.p50).toBe(nearestRank(sizes, 50));
    expect(reserve.keysPerCall.p99).toBe(nearestRank(sizes, 99));
    expect(reserve.keysPerCall.max).toBe(sizes[sizes.length - 1]);

    // "Follow this key": the first key of the first record, through the index and through the raw records.
    const k = keysOf(recs[0]!)[0]!;
    const id = a.index.keyIdOf(k);
    const raw = recs.filter((r) => keysOf(r).some((x) => x.id === k.id)).map((r) => r.index);
    expect([...a.index.callsOfKey(id)].map((c) => a.index.recordIndexOf(c))).toEqual(raw);
    expect([...a.filter({ text: k.hashHex.slice(0, 12) })].length).toBeGreaterThanOrEqual(raw.length);
  });

  it('stats on a filter result count only those calls', () => {
    const { a } = load('workload-small.lct');
    const calls = a.filter({ methods: [a.index.methods.idOf('finish_write')] });
    const st = a.stats({ calls });
    expect(st.calls).toBe(70);
    expect(st.methods.map((m) => [m.name, m.count, m.share])).toEqual([['finish_write', 70, 1]]);
  });

  it('unknown-tag.lct: raw tagged arguments are searchable text and do not disturb pairing', () => {
    const { a } = load('unknown-tag.lct');
    const st = a.stats();
    expect(st.lifecycle!.unknownShape).toBe(0);
    expect(a.filter({ text: 'future_arg' }).length).toBeGreaterThan(0);
  });

  it('v1.lct and malformed-middle.lct load', () => {
    for (const f of ['v1.lct', 'malformed-middle.lct', 'noconfig.lct']) {
      const { a, recs } = load(f);
      expect(a.index.length).toBe(recs.length);
      expect(a.stats().calls).toBe(recs.length);
    }
  });
});
