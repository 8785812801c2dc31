import { describe, expect, it } from 'vitest';
import { summarizeTrace } from './summary.ts';
import { chunkedStream, fixtureBytes, manifest } from '../test-support/fixtures.ts';

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
