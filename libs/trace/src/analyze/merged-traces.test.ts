/**
 * Records merged from several traces (mergeTraces) carry their server, and TraceAnalyzer keeps each
 * server's keys and locks apart by itself: two servers that ran the very same requests on the very
 * same keys analyse as the two of them analysed alone, added up.
 */
import { describe, expect, it } from 'vitest';
import { mergeTraces } from '../read/merge.ts';
import { SegmentedTraceReader } from '../read/segments.ts';
import { chunkedStream, testSeed, trafficTrace } from '../test-support/index.ts';
import { TraceAnalyzer } from './analyzer.ts';

const reader = (bytes: Uint8Array) => new SegmentedTraceReader([{ name: 'x.lct', open: () => chunkedStream(bytes, [65536]) }], { decodeArgs: false });

async function analyzeOne(bytes: Uint8Array): Promise<TraceAnalyzer> {
  const a = new TraceAnalyzer();
  const r = reader(bytes);
  await r.header();
  for await (const batch of r.batches()) for (const rec of batch) a.addTraceRecord(rec);
  return a;
}

/**
 * Seeds that once gave more undecided reads and misses merged than alone: the pairing's "request
 * just before" was the previous call of the merged stream, often the other server's.
 */
const FOUND_SEEDS = [683058347, 16838, 80190, 119785];

describe('TraceAnalyzer over merged traces', () => {
  it.each([...FOUND_SEEDS.map((s) => [s]), [testSeed('merged traces')]])('two servers with identical traffic: summed per-server results, keys counted per server (seed %i)', async (seed) => {
    // Cut mid-flight, so reads are left leaked or undecided at the end on both servers.
    const { bytes } = trafficTrace({ seed, records: 3000, concurrency: 6, keysPerCall: [4, 12], documents: 16 });
    const alone = await analyzeOne(bytes);
    const merged = new TraceAnalyzer();
    for await (const batch of mergeTraces([
      { server: 'node-a', reader: reader(bytes) },
      { server: 'node-b', reader: reader(bytes) },
    ]))
      for (const rec of batch) merged.addTraceRecord(rec);

    expect(merged.index.sources).toEqual(['node-a', 'node-b']);
    expect(merged.index.keys.size).toBe(2 * alone.index.keys.size);
    const one = alone.summary();
    const both = merged.summary();
    expect(one.lifecycles.reads_leaked + one.lifecycles.reads_undecided).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(one.lifecycles)) expect(both.lifecycles[k as keyof typeof one.lifecycles], k).toBe(2 * v);
    expect(both.requests.total).toBe(2 * one.requests.total);
    expect(both.requests.with_hits).toBe(2 * one.requests.with_hits);
  });
});
