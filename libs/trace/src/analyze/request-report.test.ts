/**
 * The per-phase figures of the Requests tab come from one buffer that each phase overwrites in
 * turn (phaseStats): they must be what each phase's durations, taken apart and sorted, give.
 */
import { describe, expect, it } from 'vitest';
import { TraceParser } from '../read/trace-parser.ts';
import { testSeed, trafficTrace } from '../test-support/index.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { durationStats } from './percentiles.ts';
import { phaseDurations, phaseStats } from './request-report.ts';
import { PHASES, type PhaseName } from './types.ts';

function analyzed(seed: number): TraceAnalyzer {
  const { bytes } = trafficTrace({ seed, records: 6000, concurrency: 5, keysPerCall: [2, 8], documents: 12 });
  const p = new TraceParser();
  const a = new TraceAnalyzer();
  for (const r of p.push(bytes)) a.addTraceRecord(r);
  p.finish();
  return a;
}

describe('phaseStats', () => {
  it('each phase from one shared buffer equals the phase computed apart; the sorted view is that phase, ascending', () => {
    const a = analyzed(testSeed('phase stats'));
    const spans = a.spans();
    const buffers = new Set<ArrayBufferLike>();
    const seen: Partial<Record<PhaseName, number[]>> = {};
    const { stats, also } = phaseStats(spans, (p, sorted) => {
      buffers.add(sorted.buffer);
      // Copied now: the next phase overwrites the buffer.
      seen[p] = Array.from(sorted);
      return sorted.length;
    });
    // Several phases are non-empty here, so a buffer per phase would show as several.
    expect(PHASES.filter((p) => stats[p].count > 0).length).toBeGreaterThan(2);
    expect(buffers.size).toBe(1);
    const apartStats = {} as Record<PhaseName, ReturnType<typeof durationStats>>;
    for (const p of PHASES) {
      const apart = phaseDurations(spans, p);
      apartStats[p] = durationStats(apart);
      expect(stats[p]).toEqual(apartStats[p]);
      expect(seen[p]).toEqual(Array.from(apart).sort((x, y) => x - y));
      expect(also[p]).toBe(apart.length);
    }
    // The summary the analysis reports (its own shared buffer) has each phase's figures computed apart.
    expect(a.summary().phases).toEqual(apartStats);
  });

  it('a buffer shorter than the spans is refused (it would drop durations silently)', () => {
    const spans = analyzed(testSeed('phase stats, short buffer')).spans();
    expect(spans.length).toBeGreaterThan(1);
    expect(() => phaseDurations(spans, 'read', new Float64Array(spans.length - 1))).toThrow(RangeError);
  });
});
