import { describe, expect, it } from 'vitest';
import type { ConfigValue } from '../format/config-json.ts';
import { TraceBuilder } from '../test-support/trace-builder.ts';
import { testKey } from '../test-support/keys.ts';
import { chunkedStream } from '../test-support/fixtures.ts';
import { testSeed } from '../test-support/seed.ts';
import { seededRandom } from '../util/random.ts';
import { TraceHeaderError } from './header.ts';
import { AlignedRecord, mergeTraces, type MergeInput } from './merge.ts';
import { SegmentError, SegmentedTraceReader, type SegmentSource } from './segments.ts';
import { segmentFileName } from '../format/segment-name.ts';

const SEED = testSeed('merge (browser-safe)');
const CONFIG = { l1_size_gb: 4, chunk_size: 256 };
const METHODS = ['finish_write', 'read_prefetched_results.__enter__', 'finish_read_prefetched'] as const;

interface Built {
  server: string;
  wallStart: number;
  /** Seconds since the trace start of each record, in order. */
  times: number[];
  /** The bytes of each segment file. */
  segments: Uint8Array[];
}

/**
 * One trace (a server) written by the trace builder: `n` calls at increasing times, rotated at the
 * `cuts` (record positions). Each later segment has its own header, whose clock starts where the
 * segment starts (t_mono_start and t_wall_start moved on, as a recorder rotating later writes them).
 */
function buildTrace(server: string, wallStart: number, n: number, cuts: number[], rand: () => number, config: ConfigValue = CONFIG): Built {
  const times: number[] = [];
  let t = rand() * 0.01;
  for (let i = 0; i < n; i++) times.push((t += 0.0001 + rand() * 0.003));
  const bounds = [0, ...cuts, n];
  const segments = bounds.slice(1).map((end, s) => {
    const start = bounds[s]!;
    // A segment's clock starts at (or before) its first record.
    const shift = s === 0 ? 0 : times[start]! - 0.00005;
    const b = TraceBuilder.memory({ config, tMonoStart: 500 + shift, tWallStart: wallStart + shift });
    for (let i = start; i < end; i++) b.call(METHODS[i % METHODS.length]!, times[i]! - shift, { keys: [testKey(i)] });
    return b.bytes();
  });
  return { server, wallStart, times, segments };
}

const sourcesOf = (b: Built, chunk: () => number[] = () => [1 << 20]): SegmentSource[] =>
  b.segments.map((bytes, s) => ({ name: segmentFileName(b.server, s), open: () => chunkedStream(bytes, chunk()) }));

async function collect(inputs: MergeInput[], onError?: (trace: number, e: unknown) => void): Promise<AlignedRecord[]> {
  const out: AlignedRecord[] = [];
  for await (const batch of mergeTraces(inputs, { batch: 97, ...(onError ? { onError } : {}) })) out.push(...batch);
  return out;
}

describe('mergeTraces', () => {
  it('lines several traces (some rotated) up on the wall clock: nothing lost, each trace in its order, files and offsets its own (seeded)', async () => {
    const rand = seededRandom(SEED);
    for (let round = 0; round < 8; round++) {
      const k = 2 + Math.floor(rand() * 3);
      const base = 1776340800 + rand() * 1000;
      const built = Array.from({ length: k }, (_, i) => {
        const n = 20 + Math.floor(rand() * 300);
        const cuts = [...new Set([Math.floor(rand() * n), Math.floor(rand() * n)])].filter((c) => c > 0).sort((a, b) => a - b);
        // Starts spread over half a second: the traces interleave.
        return buildTrace(`node-${i}`, base + rand() * 0.5, n, rand() < 0.6 ? cuts : [], rand);
      });
      const sizes = [1, 7, 64, 4096];
      const chunk = () => [sizes[Math.floor(rand() * sizes.length)]!, 1 + Math.floor(rand() * 500)];
      const merged = await collect(built.map((b) => ({ server: b.server, reader: new SegmentedTraceReader(sourcesOf(b, chunk)) })));
      const ctx = `seed ${SEED} round ${round}`;
      const origin = Math.min(...built.map((b) => b.wallStart));

      expect(merged.length, ctx).toBe(built.reduce((n, b) => n + b.times.length, 0));
      for (const [trace, b] of built.entries()) {
        const own = merged.filter((r) => r.server === b.server);
        expect(own.every((r) => r.trace === trace), ctx).toBe(true);
        expect(own.map((r) => r.index), ctx).toEqual(b.times.map((_, i) => i));
        for (const [i, r] of own.entries()) {
          expect(r.t_mono - (b.wallStart - origin), ctx).toBeCloseTo(b.times[i]!, 9);
          expect(r.t, ctx).toBe(b.wallStart + r.record.t_mono);
          // The record is in its own segment file at its own offset.
          const file = b.segments[r.segment]!;
          expect(new DataView(file.buffer, file.byteOffset).getUint32(r.offset) + 4, ctx).toBe(r.frameBytes);
          expect(r.args().keys, ctx).toEqual([testKey(i)]);
        }
      }
      // Every input is in time order, so the merge is: each step took the earliest head.
      expect(merged.every((r, i) => i === 0 || merged[i - 1]!.t <= r.t), ctx).toBe(true);
      // The earliest trace is not shifted at all.
      const first = built.findIndex((b) => b.wallStart === origin);
      for (const r of merged) if (r.trace === first) expect(r.t_mono).toBe(r.record.t_mono);
    }
  });

  it('a tie on the clock goes to the earlier input, the same on every run', async () => {
    const make = (server: string) => {
      const b = TraceBuilder.memory({ config: CONFIG, tWallStart: 1776340800 });
      for (let i = 0; i < 5; i++) b.call('finish_write', i * 0.001, { keys: [testKey(i)] });
      return { server, wallStart: 1776340800, times: [], segments: [b.bytes()] } satisfies Built;
    };
    const inputs = () => ['b', 'a'].map((s) => ({ server: s, reader: new SegmentedTraceReader(sourcesOf(make(s))) }));
    const order = (await collect(inputs())).map((r) => r.server).join('');
    expect(order).toBe('bababababa');
    expect((await collect(inputs())).map((r) => r.server).join('')).toBe(order);
  });

  it('with onError a trace that fails ends there and the others go on; without it the merge throws', async () => {
    const rand = seededRandom(SEED + 1);
    const good = buildTrace('good', 1776340800, 120, [], rand);
    // A second segment written with another config: not a continuation of the first.
    const bad = buildTrace('bad', 1776340800.01, 120, [50], rand);
    bad.segments[1] = buildTrace('bad', 1776340800.01, 120, [50], rand, { l1_size_gb: 99 }).segments[1]!;
    const inputs = () => [good, bad].map((b) => ({ server: b.server, reader: new SegmentedTraceReader(sourcesOf(b)) }));

    const errors: [number, unknown][] = [];
    const merged = await collect(inputs(), (trace, e) => errors.push([trace, e]));
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(1);
    expect(errors[0]![1]).toBeInstanceOf(SegmentError);
    expect((errors[0]![1] as SegmentError).segment).toBe('bad.000001.lct');
    expect(merged.filter((r) => r.server === 'good')).toHaveLength(120);
    expect(merged.filter((r) => r.server === 'bad').map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));

    await expect(collect(inputs())).rejects.toBeInstanceOf(SegmentError);
  });

  it('a trace whose header does not read is reported and left out; the clock starts at the others', async () => {
    const rand = seededRandom(SEED + 2);
    const good = buildTrace('good', 1776340900, 30, [], rand);
    const empty: SegmentSource[] = [{ name: 'empty.lct', open: () => chunkedStream(new Uint8Array(0)) }];
    const errors: [number, unknown][] = [];
    const merged = await collect(
      [
        { server: 'empty', reader: new SegmentedTraceReader(empty) },
        { server: 'good', reader: new SegmentedTraceReader(sourcesOf(good)) },
      ],
      (trace, e) => errors.push([trace, e]),
    );
    expect(errors.map(([t, e]) => [t, e instanceof TraceHeaderError])).toEqual([[0, true]]);
    expect(merged).toHaveLength(30);
    expect(merged.every((r) => r.trace === 1 && r.t_mono === r.record.t_mono)).toBe(true);
  });

  it('stops reading when the consumer stops: no stream is left open', async () => {
    const rand = seededRandom(SEED + 3);
    const built = [buildTrace('a', 1776340800, 400, [150], rand), buildTrace('b', 1776340800.2, 400, [], rand)];
    const readers = built.map((b) => ({ server: b.server, reader: new SegmentedTraceReader(sourcesOf(b, () => [512])) }));
    for await (const batch of mergeTraces(readers, { batch: 16 })) {
      expect(batch.length).toBe(16);
      break;
    }
    for (const { reader } of readers) {
      let more = 0;
      for await (const b of reader.batches()) more += b.length;
      expect(more).toBe(0);
    }
  });
});
