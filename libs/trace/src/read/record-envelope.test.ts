import { describe, expect, it } from 'vitest';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { RECORD_TYPE } from '../format/spec.ts';
import { QualnameInterner, newEnvelope, readEnvelope } from './record-envelope.ts';

/** A record body: the writer's field order (the fast path) or another (the general path). */
function body(order: string[], tMono: number, qualname: string): Uint8Array {
  const w = new MsgpackWriter(128);
  w.mapHeader(order.length);
  for (const f of order) {
    w.str(f);
    if (f === 'type') w.str(RECORD_TYPE);
    else if (f === 't_mono') w.float64(tMono);
    else if (f === 't_wall') w.float64(1.7e9 + tMono);
    else if (f === 'qualname') w.str(qualname);
    else {
      w.mapHeader(1);
      w.str('keys');
      w.arrayHeader(0);
    }
  }
  return w.bytes().slice();
}

describe('readEnvelope', () => {
  it('fills the envelope it is given, record after record, with what a fresh one would hold', () => {
    const interner = new QualnameInterner();
    const out = newEnvelope();
    const canonical = ['type', 't_mono', 't_wall', 'qualname', 'args'];
    const reordered = ['qualname', 'type', 'args', 't_wall', 't_mono'];
    for (const [i, order] of [canonical, reordered, canonical].entries()) {
      const b = body(order, 0.25 * (i + 1), `m.method_${i}`);
      const view = new DataView(b.buffer);
      const fresh = readEnvelope(b, 0, b.length, interner, view);
      const filled = readEnvelope(b, 0, b.length, interner, view, 0, out);
      expect({ ...filled }).toEqual({ ...fresh });
      expect(fresh).toMatchObject({ t_mono: 0.25 * (i + 1), t_wall: 1.7e9 + 0.25 * (i + 1), qualname: `m.method_${i}` });
      // The writer's order is read in place into `out`; another order goes the general way.
      expect(filled === out).toBe(order === canonical);
    }
  });
});
