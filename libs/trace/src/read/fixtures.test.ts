import { describe, expect, it } from 'vitest';
import { parseHeader } from './header.ts';
import { summarizeFrames, summarizeTrace, summaryOfParts } from './summary.ts';
import { chunkedStream, fixtureBytes, manifest, splitFrames } from '../test-support/fixtures.ts';
import { testSeed } from '../test-support/seed.ts';
import { seededRandom } from '../util/random.ts';

const FACTS = ['ok', 'error', 'header', 'records', 'by_qualname', 'duration_s', 'truncated', 'malformed', 'arg_decode_errors'] as const;

describe('LMCache fixtures give exactly the facts of MANIFEST.json', () => {
  const m = manifest();
  for (const [file, expected] of Object.entries(m)) {
    it(file, async () => {
      const s = await summarizeTrace(chunkedStream(fixtureBytes(file), [4096]), file);
      for (const k of FACTS) expect(s[k], k).toEqual(expected[k]);
    });
    it(`${file} in 1-byte chunks`, async () => {
      const s = await summarizeTrace(chunkedStream(fixtureBytes(file), [1]), file);
      for (const k of FACTS) expect(s[k], k).toEqual(expected[k]);
    });
  }

  it('reports malformed frames with their byte offsets and reasons', async () => {
    const s = await summarizeTrace(chunkedStream(fixtureBytes('malformed-middle.lct')), 'malformed-middle.lct');
    expect(s.malformed_frames).toHaveLength(2);
    for (const f of s.malformed_frames!) expect(f.offset).toBeGreaterThan(0);
    expect(s.malformed_frames!.map((f) => f.reason).join('\n')).toMatch(/qualname must be a str|not a map/);
  });
});

describe('a file summarised in parts gives the summary of one read (the CLI reads big files so, on several threads)', () => {
  const SEED = testSeed('summary in parts');
  const rand = seededRandom(SEED);
  for (const file of Object.keys(manifest())) {
    it(file, async () => {
      const bytes = fixtureBytes(file);
      const whole = await summarizeTrace(chunkedStream(bytes, [4096]), file);
      if (!whole.ok) return; // no header: the CLI reads such a file in one piece, to say why
      const frames = splitFrames(bytes);
      const header = parseHeader(frames[0]!.body, 0, frames[0]!.body.length);
      // The record frames cut into parts at frame boundaries, 1 to 4 frames a part (seeded).
      const parts = [];
      for (let i = 1; i < frames.length; ) {
        const n = 1 + Math.floor(rand() * 4);
        const last = frames[Math.min(i + n, frames.length) - 1]!;
        const start = frames[i]!.offset;
        parts.push(summarizeFrames(bytes.subarray(start, last.offset + 4 + last.body.length), start));
        i += n;
      }
      const inParts = summaryOfParts(file, file, header, parts, whole.truncated, bytes.length);
      expect(inParts, `seed ${SEED}`).toEqual(whole);
    });
  }

  it('a part that does not end on a frame boundary is refused', () => {
    const bytes = fixtureBytes('workload-small.lct');
    const frames = splitFrames(bytes);
    const start = frames[1]!.offset;
    expect(() => summarizeFrames(bytes.subarray(start, frames[3]!.offset - 1), start)).toThrow(/does not end on a frame boundary/);
  });
});
