import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TraceParser } from './trace-parser.ts';
import { TraceReader } from './trace-reader.ts';
import { FrameSplitter, frameLengthAt, wholeFramesEnd } from './frame-splitter.ts';
import { chunkedStream, fixtureBytes, splitFrames } from '../test-support/fixtures.ts';
import { testSeed } from '../test-support/seed.ts';

const SEED = testSeed('stream property tests');

// The header and the first records of an LMCache file: every cut point of it is tried.
const allFrames = splitFrames(fixtureBytes('noconfig.lct'));
const frames = allFrames.slice(0, 6);
const file = fixtureBytes('noconfig.lct').slice(0, frames[5]!.offset + 4 + frames[5]!.body.length);
const headerEnd = 4 + frames[0]!.body.length;

function readSync(bytes: Uint8Array, chunks: number[]) {
  const p = new TraceParser({ decodeArgs: true });
  const recs = [];
  let o = 0;
  let i = 0;
  while (o < bytes.length) {
    const n = Math.max(1, chunks[i++ % chunks.length]!);
    recs.push(...p.push(bytes.subarray(o, o + n)));
    o += n;
  }
  p.finish();
  return { recs, report: p.report };
}

describe('truncation at every cut point', () => {
  const full = readSync(file, [file.length]).recs.map((r) => r.offset);

  it('every cut after the header gives a prefix of the records and at most one truncation report', () => {
    for (let cut = headerEnd; cut <= file.length; cut++) {
      const { recs, report } = readSync(file.subarray(0, cut), [cut]);
      const offsets = recs.map((r) => r.offset);
      expect(offsets).toEqual(full.slice(0, offsets.length));
      const complete = frames.filter((f) => f.offset > 0 && f.offset + 4 + f.body.length <= cut).length;
      expect(recs.length).toBe(complete);
      const onBoundary = cut === file.length || frames.some((f) => f.offset === cut);
      if (onBoundary) expect(report.truncated).toBeNull();
      else {
        const last = recs.length ? recs[recs.length - 1]! : null;
        const tailAt = last ? last.offset + last.frameBytes : headerEnd;
        expect(report.truncated).toEqual({
          offset: tailAt,
          claimed: cut - tailAt < 4 ? null : frames.find((f) => f.offset === tailAt)!.body.length,
          available: cut - tailAt < 4 ? cut - tailAt : cut - tailAt - 4,
        });
      }
    }
  });

  it('a cut inside the header is a clear header error, never a crash', () => {
    for (let cut = 0; cut < headerEnd; cut++) {
      expect(() => readSync(file.subarray(0, cut), [7]), `cut ${cut}`).toThrow(cut === 0 ? /empty file/ : /truncated header/);
    }
  });
});

describe('chunking never changes what is read', () => {
  const big = fixtureBytes('workload-small.lct');
  const bigHeaderEnd = 4 + splitFrames(big)[0]!.body.length;
  const expected = readSync(big, [big.length]).recs.map((r) => [r.offset, r.qualname, r.t_mono]);

  it('random chunk splits (seeded)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 40 }), (sizes) => {
        const got = readSync(big, sizes).recs.map((r) => [r.offset, r.qualname, r.t_mono]);
        expect(got).toEqual(expected);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('1-byte chunks through the ReadableStream reader', async () => {
    const r = new TraceReader(chunkedStream(fixtureBytes('noconfig.lct'), [1]));
    const { records, report } = await r.readAll();
    expect(records.map((x) => x.offset)).toEqual(readSync(fixtureBytes('noconfig.lct'), [1 << 20]).recs.map((x) => x.offset));
    expect(report.truncated).toBeNull();
  });

  it('random truncation of random chunkings never throws after the header (seeded)', () => {
    fc.assert(
      fc.property(fc.integer({ min: bigHeaderEnd, max: big.length }), fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 10 }), (cut, sizes) => {
        const { recs, report } = readSync(big.subarray(0, cut), sizes);
        expect(recs.map((r) => [r.offset, r.qualname, r.t_mono])).toEqual(expected.slice(0, recs.length));
        if (report.truncated) expect(report.truncated.offset + 4 + (report.truncated.available ?? 0)).toBeLessThanOrEqual(cut + 4);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

describe('a length prefix is never trusted for allocation', () => {
  it('a frame claiming 4 GiB is a truncated tail, read without allocating it', () => {
    const bytes = new Uint8Array(headerEnd + 10);
    bytes.set(file.subarray(0, headerEnd));
    bytes.set([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6], headerEnd);
    const before = process.memoryUsage().arrayBuffers;
    const { recs, report } = readSync(bytes, [3]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
    expect(recs).toHaveLength(0);
    expect(report.truncated).toEqual({ offset: headerEnd, claimed: 0xffffffff, available: 6 });
  });

  it('a record claiming a huge array inside a small frame is malformed, not an allocation', () => {
    const body = new Uint8Array([0x85, 0xa4, ...Buffer.from('type'), 0xa6, ...Buffer.from('record'), 0xdd, 0xff, 0xff, 0xff, 0xff]);
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    const bytes = new Uint8Array(headerEnd + frame.length);
    bytes.set(file.subarray(0, headerEnd));
    bytes.set(frame, headerEnd);
    const { recs, report } = readSync(bytes, [bytes.length]);
    expect(recs).toHaveLength(0);
    expect(report.malformed).toBe(1);
    expect(report.malformedFrames[0]!.offset).toBe(headerEnd);
  });
});

describe('record validity', () => {
  it('a record with a NaN or infinite time is malformed (skipped, counted with its offset)', async () => {
    const { MsgpackWriter } = await import('../format/msgpack-writer.ts');
    const { RecordFrameEncoder } = await import('../format/frame-writer.ts');
    const { createDefaultRegistry } = await import('../codec/registry.ts');
    const w = new MsgpackWriter();
    const enc = new RecordFrameEncoder(createDefaultRegistry());
    enc.append(w, 0.5, 1.7e9, 'q.ok', ['x'], [1]);
    const badAt = headerEnd + w.pos;
    enc.append(w, Number.NaN, 1.7e9, 'q.nan', ['x'], [1]);
    enc.append(w, 1, Number.POSITIVE_INFINITY, 'q.inf', ['x'], [1]);
    enc.append(w, 2, 1.7e9, 'q.ok', ['x'], [1]);
    const bytes = new Uint8Array(headerEnd + w.pos);
    bytes.set(file.subarray(0, headerEnd));
    bytes.set(w.bytes(), headerEnd);
    const { recs, report } = readSync(bytes, [bytes.length]);
    expect(recs.map((r) => r.qualname)).toEqual(['q.ok', 'q.ok']);
    expect(report.malformed).toBe(2);
    expect(report.malformedFrames[0]!.offset).toBe(badAt);
    expect(report.malformedFrames[0]!.reason).toMatch(/not finite/);
  });
});

describe('wholeFramesEnd: where a FrameSplitter stops handing out frames', () => {
  it('at every cut of the file, from the start and from any frame, it ends where the splitter ends', () => {
    for (let cut = 0; cut <= file.length; cut++) {
      const bytes = file.subarray(0, cut);
      for (const from of [0, ...frames.map((f) => f.offset).filter((o) => o <= cut)]) {
        const s = new FrameSplitter(() => undefined, from);
        s.push(bytes.subarray(from));
        expect(wholeFramesEnd(bytes, from, cut), `cut ${cut} from ${from}`).toBe(s.consumed);
      }
    }
    expect(frameLengthAt(file, frames[1]!.offset)).toBe(frames[1]!.body.length);
  });
});
