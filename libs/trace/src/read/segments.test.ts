import { describe, expect, it } from 'vitest';
import type { TraceHeader } from '../model.ts';
import { chunkedStream, fixtureBytes, splitFrames } from '../test-support/fixtures.ts';
import { changedHeader } from '../test-support/rotation.ts';
import { seededRandom } from '../util/random.ts';
import { concatBytes } from '../util/bytes.ts';
import { TraceReader } from './trace-reader.ts';
import { SegmentError, SegmentedTraceReader, groupSegments, type SegmentSource } from './segments.ts';
import { parseSegmentName, segmentFileName } from '../format/segment-name.ts';
import { TraceHeaderError } from './header.ts';
import { argsToJson } from '../analyze/to-json.ts';
import { testSeed } from '../test-support/seed.ts';

const SEED = testSeed('segment tests');

describe('segment names', () => {
  it('NAME.lct is segment 0, NAME.000001.lct segment 1; the name round-trips', () => {
    expect(parseSegmentName('trace.lct')).toEqual({ recording: 'trace', sequence: 0 });
    expect(parseSegmentName('trace.000001.lct')).toEqual({ recording: 'trace', sequence: 1 });
    expect(parseSegmentName('a.b.000012.lct')).toEqual({ recording: 'a.b', sequence: 12 });
    expect(parseSegmentName('x.1000000.lct')).toEqual({ recording: 'x', sequence: 1_000_000 });
    for (const [rec, seq] of [['trace', 0], ['trace', 1], ['a.b', 999_999], ['lmcache-trace-1-20260101-120000', 3]] as const)
      expect(parseSegmentName(segmentFileName(rec, seq))).toEqual({ recording: rec, sequence: seq });
  });

  it('a short trailing number is part of the name; other extensions are not traces', () => {
    expect(parseSegmentName('run.42.lct')).toEqual({ recording: 'run.42', sequence: 0 });
    expect(parseSegmentName('trace.lct.part')).toBeNull();
    expect(parseSegmentName('.lct')).toBeNull();
    expect(parseSegmentName('notes.txt')).toBeNull();
  });

  it('groups by recording, orders by sequence, names the gaps and refuses a segment twice', () => {
    const groups = groupSegments(['b.000002.lct', 'a.lct', 'b.lct', 'README.md', 'a.000001.lct', 'b.000004.lct'], (n) => n);
    expect(groups).toEqual([
      { recording: 'a', segments: [{ sequence: 0, item: 'a.lct' }, { sequence: 1, item: 'a.000001.lct' }], missing: [] },
      { recording: 'b', segments: [{ sequence: 0, item: 'b.lct' }, { sequence: 2, item: 'b.000002.lct' }, { sequence: 4, item: 'b.000004.lct' }], missing: [1, 3] },
    ]);
    expect(groupSegments(['c.000001.lct'], (n) => n)[0]!.missing).toEqual([0]);
    expect(() => groupSegments([{ n: 'a.lct', dir: 1 }, { n: 'a.lct', dir: 2 }], (x) => x.n)).toThrow(/two files for segment 0 of recording "a"/);
  });
});

/** workload-small.lct (written by LMCache) cut at record boundaries into segments, each behind a header. */
const whole = fixtureBytes('workload-small.lct');
const frames = splitFrames(whole);
const headerFrame = whole.subarray(0, 4 + frames[0]!.body.length);
const recordFrames = frames.slice(1).map((f) => whole.subarray(f.offset, f.offset + 4 + f.body.length));

function segmentBytes(cuts: number[], header: (i: number) => Uint8Array = () => headerFrame): Uint8Array[] {
  const bounds = [0, ...cuts, recordFrames.length];
  return bounds.slice(1).map((end, i) => concatBytes(header(i), ...recordFrames.slice(bounds[i]!, end)));
}

function sources(segs: Uint8Array[], chunks: (i: number) => number[] = (i) => [segs[i]!.length || 1]): SegmentSource[] {
  return segs.map((bytes, i) => ({ name: segmentFileName('workload', i), open: () => chunkedStream(bytes, chunks(i)) }));
}

/** The fixture's header frame with some fields changed (test-support's changedHeader). */
const headerWith = (change: Partial<TraceHeader>): Uint8Array => changedHeader(whole, change);

async function readSet(src: SegmentSource[]) {
  const r = new SegmentedTraceReader(src, { decodeArgs: true });
  const header = await r.header();
  const recs = [];
  for await (const b of r.batches()) recs.push(...b);
  return { header, recs, segments: r.segments, totals: r.totals };
}

describe('SegmentedTraceReader', async () => {
  const reference = await new TraceReader(chunkedStream(whole)).readAll();
  // Compared as JSON text: a deep equality of 300 decoded argument trees per round is the slow part.
  const referenceArgs = reference.records.map((r) => JSON.stringify(argsToJson(r.args())));

  it('segments cut anywhere read as the whole file: same records, indices continued, offsets per file (seeded)', async () => {
    const rand = seededRandom(SEED);
    for (let round = 0; round < 12; round++) {
      const k = 1 + Math.floor(rand() * 6);
      const cuts = [...new Set(Array.from({ length: k - 1 }, () => Math.floor(rand() * (recordFrames.length + 1))))].sort((a, b) => a - b);
      const segs = segmentBytes(cuts);
      // Odd chunkings that split prefixes and headers anywhere (1-byte chunks: the test below).
      const sizes = [3, 7, 64, 4096, 1 << 20];
      const { header, recs, segments, totals } = await readSet(sources(segs, () => [sizes[Math.floor(rand() * sizes.length)]!, 1 + Math.floor(rand() * 900)]));
      const ctx = `seed ${SEED} round ${round} cuts ${cuts.join(',')}`;
      expect(header.sm_config_digest, ctx).toBe(reference.header.sm_config_digest);
      expect(recs.map((r) => r.index), ctx).toEqual(reference.records.map((r) => r.index));
      expect(recs.map((r) => [r.qualname, r.t_mono, r.t_wall]), ctx).toEqual(reference.records.map((r) => [r.qualname, r.t_mono, r.t_wall]));
      expect(recs.map((r) => JSON.stringify(argsToJson(r.args()))), ctx).toEqual(referenceArgs);
      expect(totals.records, ctx).toBe(reference.records.length);
      expect(segments.map((s) => s.firstRecord), ctx).toEqual([0, ...cuts]);
      // An offset is where the frame starts in its own segment file.
      for (const r of recs) {
        const seg = segs[r.segment]!;
        expect(r.file).toBe(segmentFileName('workload', r.segment));
        const len = new DataView(seg.buffer, seg.byteOffset).getUint32(r.offset);
        expect(4 + len, ctx).toBe(r.frameBytes);
      }
    }
  });

  it('1-byte chunks across segment boundaries', async () => {
    const segs = segmentBytes([3, 5, 9]).map((b, i, all) => (i === all.length - 1 ? b.subarray(0, headerFrame.length + recordFrames.slice(9, 14).reduce((n, f) => n + f.length, 0)) : b));
    const { recs } = await readSet(sources(segs, () => [1]));
    expect(recs.map((r) => [r.index, r.qualname, r.t_mono])).toEqual(reference.records.slice(0, 14).map((r) => [r.index, r.qualname, r.t_mono]));
  });

  it('a later header that restarts the monotonic clock: t_mono stays relative to the first header', async () => {
    const h = reference.header;
    const segs = segmentBytes([100, 200], (i) => (i === 2 ? headerWith({ t_mono_start: h.t_mono_start + 5, t_wall_start: h.t_wall_start + 5 }) : headerFrame));
    const { recs } = await readSet(sources(segs));
    expect(recs.slice(0, 200).map((r) => r.t_mono)).toEqual(reference.records.slice(0, 200).map((r) => r.t_mono));
    expect(recs.slice(200).map((r) => r.t_mono)).toEqual(reference.records.slice(200).map((r) => r.t_mono + 5));
    expect(recs.slice(200).map((r) => r.t_wall)).toEqual(reference.records.slice(200).map((r) => r.t_wall));
  });

  it.each([
    ['sm_config_digest', { sm_config_json: '{"l1_size_gb": 2}', sm_config_digest: 'ab'.repeat(32) }],
    ['level', { level: 'events' }],
    ['trace_schema_version', { trace_schema_version: 1 }],
  ] as const)('a later segment with another %s is refused, naming the file and both values', async (field, change) => {
    const segs = segmentBytes([150], (i) => (i === 1 ? headerWith(change) : headerFrame));
    const r = new SegmentedTraceReader(sources(segs));
    const got: number[] = [];
    const err = await (async () => {
      try {
        for await (const b of r.batches()) for (const rec of b) got.push(rec.index);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(SegmentError);
    expect((err as SegmentError).segment).toBe('workload.000001.lct');
    expect((err as Error).message).toMatch(new RegExp(`^workload\\.000001\\.lct: ${field} .* differs from .* in workload\\.lct: not a segment of the same recording$`));
    // The first segment was read in full before the second was reached.
    expect(got).toEqual(Array.from({ length: 150 }, (_, i) => i));
  });

  it('a truncated middle segment (killed mid-rotation) is reported there and reading goes on', async () => {
    const segs = segmentBytes([120, 180]);
    segs[1] = segs[1]!.subarray(0, segs[1]!.length - 10);
    const { recs, segments } = await readSet(sources(segs));
    expect(recs).toHaveLength(299);
    expect(recs.map((r) => r.qualname)).toEqual([...reference.records.slice(0, 179), ...reference.records.slice(180)].map((r) => r.qualname));
    expect(recs[179]!.index).toBe(179);
    expect(segments.map((s) => s.report.truncated !== null)).toEqual([false, true, false]);
    expect(segments[2]!.firstRecord).toBe(179);
  });

  it('a bad first header is the TraceHeaderError a single file gives; a bad later one names its segment', async () => {
    await expect(readSet(sources([new Uint8Array(0)]))).rejects.toBeInstanceOf(TraceHeaderError);
    const segs = segmentBytes([10]);
    segs[1] = segs[1]!.subarray(0, 2);
    await expect(readSet(sources(segs))).rejects.toThrow(/^workload\.000001\.lct: truncated header/);
  });

  it('opens one segment at a time, each when reached', async () => {
    const segs = segmentBytes([100, 200]);
    const opened: number[] = [];
    const src = sources(segs).map((s, i) => ({ name: s.name, open: () => (opened.push(i), s.open()) }));
    const r = new SegmentedTraceReader(src);
    await r.header();
    expect(opened).toEqual([0]);
    let n = 0;
    for await (const b of r.batches()) {
      n += b.length;
      if (n <= 100) expect(opened).toEqual([0]);
    }
    expect(opened).toEqual([0, 1, 2]);
  });
});
