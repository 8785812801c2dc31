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
  a.finish();
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
    // Every reserved key is finished in this trace, so write lifecycles = reserve_write keys = finish_write keys.
    expect(lc.writes).toEqual({ complete: keyTotal(recs, SM_METHODS.finishWrite), open: 0 });
    expect(lc.writes.complete).toBe(keyTotal(recs, SM_METHODS.reserveWrite));
    expect(lc.reads).toEqual({ complete: keyTotal(recs, SM_METHODS.finishReadPrefetched), open: 0 });
    expect(lc.phases.write.count).toBe(lc.writes.complete);
    expect(lc.flagCounts.leaked_write + lc.flagCounts.leaked_read + lc.flagCounts.exit_without_enter).toBe(0);
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
