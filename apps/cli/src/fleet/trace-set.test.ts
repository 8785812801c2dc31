import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeTraces, seededRandom, type AlignedRecord } from '@kvtrace/trace';
import { expandTraceInputs } from './inputs.ts';
import { COLLECT_MARKER } from './server-name.ts';
import { changedHeader, fixtureBytes as fixture, headerOf, withHeader, writeSegments, testSeed } from '@kvtrace/trace/test-support';
import { openTraceSet } from './trace-set.ts';

const SEED = testSeed('merge tests');

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-merge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mergeTraces over CLI trace sets', () => {
  it('merges several traces (some rotated) by t_wall_start + t_mono; each keeps its order; nothing lost (seeded)', async () => {
    const rand = seededRandom(SEED);
    const files = ['workload-small.lct', 'v1.lct', 'noconfig.lct', 'unknown-tag.lct'];
    const base = headerOf(fixture(files[0]!)).t_wall_start;
    const starts: Record<string, number> = {};
    for (const [i, f] of files.entries()) {
      const bytes = fixture(f);
      // Starts spread over a second, so the traces interleave.
      const start = base + Math.round(rand() * 1000) / 1000;
      const server = `s${i}`;
      starts[server] = start;
      const n = bytes.length > 100_000 ? 60 : 12;
      const cuts = [...new Set([Math.floor(rand() * n), Math.floor(rand() * n)])].filter((c) => c > 0).sort((a, b) => a - b);
      writeSegments(join(dir, 'm', server), 'trace', withHeader(bytes, changedHeader(bytes, { t_wall_start: start })), cuts);
      writeFileSync(join(dir, 'm', server, COLLECT_MARKER), '{}');
    }
    const { sets } = await expandTraceInputs([join(dir, 'm')]);
    const merged: AlignedRecord[] = [];
    for await (const b of mergeTraces(sets.map((s) => ({ server: s.server, reader: openTraceSet(s) })))) merged.push(...b);

    const origin = Math.min(...Object.values(starts));
    const perServer = new Map<string, number[]>();
    for (const s of sets) {
      const idx: number[] = [];
      for await (const b of openTraceSet(s).batches()) for (const r of b) idx.push(r.index);
      perServer.set(s.server, idx);
    }
    expect(merged.length).toBe([...perServer.values()].reduce((n, x) => n + x.length, 0));
    for (const [server, idx] of perServer) expect(merged.filter((r) => r.server === server).map((r) => r.index), server).toEqual(idx);
    // Each step takes the earliest head: the merged times never go back where every trace is in order.
    for (const r of merged) {
      expect(r.t).toBe(starts[r.server]! + r.record.t_mono);
      const shift = starts[r.server]! - origin;
      expect(r.t_mono).toBe(shift === 0 ? r.record.t_mono : shift + r.record.t_mono);
    }
    const inOrder = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);
    // LMCache's fixtures are each in time order, so the merge of them must be.
    expect(sets.every((s) => inOrder(merged.filter((r) => r.server === s.server).map((r) => r.t)))).toBe(true);
    expect(inOrder(merged.map((r) => r.t))).toBe(true);
    expect(new Set(merged.map((r) => r.server)).size).toBe(4);
  });

  it('stops reading when the consumer stops (no stream left open)', async () => {
    const bytes = fixture('workload-small.lct');
    writeSegments(join(dir, 'stop', 'a'), 'trace', bytes, [100]);
    writeSegments(join(dir, 'stop', 'b'), 'trace', bytes, []);
    const { sets } = await expandTraceInputs([join(dir, 'stop')]);
    const readers = sets.map((s) => ({ server: s.server, reader: openTraceSet(s) }));
    for await (const b of mergeTraces(readers)) {
      expect(b.length).toBeGreaterThan(0);
      break;
    }
    // A cancelled reader yields nothing more.
    for (const { reader } of readers) {
      let more = 0;
      for await (const b of reader.batches()) more += b.length;
      expect(more).toBe(0);
    }
  });
});
