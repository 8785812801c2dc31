import { describe, expect, it } from 'vitest';
import { createDefaultRegistry } from '../codec/registry.ts';
import { MsgpackWriter } from './msgpack-writer.ts';
import { RecordFrameEncoder, encodeHeaderFrame } from './frame-writer.ts';
import { parseHeader } from '../read/header.ts';
import { TraceParser } from '../read/trace-parser.ts';
import { fixtureBytes, splitFrames } from '../test-support/fixtures.ts';

/**
 * Byte compatibility with LMCache: decoding a frame msgspec wrote and encoding the values again
 * must give the very same bytes (key order, int widths, float64, bin vs str, tags).
 */
describe('frames re-encode byte-identically to LMCache/msgspec output', () => {
  for (const file of ['workload-small.lct', 'v1.lct', 'noconfig.lct', 'header-only.lct']) {
    it(file, () => {
      const bytes = fixtureBytes(file);
      const frames = splitFrames(bytes);
      const registry = createDefaultRegistry();
      const h = parseHeader(frames[0]!.body, 0, frames[0]!.body.length);
      const header = encodeHeaderFrame(h, registry);
      expect(Buffer.from(header.subarray(4))).toEqual(Buffer.from(frames[0]!.body));

      const parser = new TraceParser({ registry, decodeArgs: true });
      const records = parser.push(bytes);
      parser.finish();
      expect(records.length).toBe(frames.length - 1);
      const enc = new RecordFrameEncoder(registry);
      const w = new MsgpackWriter();
      records.forEach((r, i) => {
        w.reset();
        const args = r.args();
        if (file === 'v1.lct') return; // v1 keys lack fields we always write; checked below
        enc.append(w, r.t_mono, r.t_wall, r.qualname, Object.keys(args), Object.values(args));
        expect(Buffer.from(w.bytes().subarray(4)), `record ${i}`).toEqual(Buffer.from(frames[i + 1]!.body));
      });
    });
  }

  it('v1 ObjectKeys decode with defaults for cache_salt and object_group_id', () => {
    const parser = new TraceParser({ decodeArgs: true });
    const recs = parser.push(fixtureBytes('v1.lct'));
    const keys = recs[0]!.args().keys as { cacheSalt: string; objectGroupId: number }[];
    expect(keys[0]!.cacheSalt).toBe('');
    expect(keys.every((k) => Number.isInteger(k.objectGroupId))).toBe(true);
  });
});
