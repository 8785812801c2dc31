/**
 * Damage a reader must survive (shared/FORMAT.md, "Reading"), made on purpose: a tail cut at any
 * byte, a cut inside a length prefix, a frame that is not a Record, an argument with a codec tag no
 * reader knows. Byte offsets are those TraceBuilder.call/record/frame return.
 */
import { FRAME_PREFIX_BYTES, RECORD_KEY, RECORD_TYPE, TAG_KEY, TAG_VALUE_KEY } from '../format/spec.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';

/** The first `at` bytes: a tail cut there. */
export function cutAt(bytes: Uint8Array, at: number): Uint8Array {
  if (!(at >= 0 && at <= bytes.length)) throw new RangeError(`cut at ${at} is outside 0..${bytes.length}`);
  return bytes.slice(0, at);
}

/** The file cut `into` bytes (1..3) into the length prefix of the frame at `frameOffset`. */
export function cutInsidePrefix(bytes: Uint8Array, frameOffset: number, into = 2): Uint8Array {
  if (!(into >= 1 && into < FRAME_PREFIX_BYTES)) throw new RangeError(`a cut inside the prefix is 1..${FRAME_PREFIX_BYTES - 1} bytes into it, got ${into}`);
  return cutAt(bytes, frameOffset + into);
}

/** The file with one more frame (prefix + body) inserted at byte `at` (a frame boundary). */
export function insertFrame(bytes: Uint8Array, at: number, body: Uint8Array): Uint8Array {
  if (!(at >= 0 && at <= bytes.length)) throw new RangeError(`insert at ${at} is outside 0..${bytes.length}`);
  const out = new Uint8Array(bytes.length + FRAME_PREFIX_BYTES + body.length);
  out.set(bytes.subarray(0, at), 0);
  new DataView(out.buffer).setUint32(at, body.length);
  out.set(body, at + FRAME_PREFIX_BYTES);
  out.set(bytes.subarray(at), at + FRAME_PREFIX_BYTES + body.length);
  return out;
}

/**
 * Frame bodies that are not valid Records: `not-a-map` is a bare int; `wrong-types` is a record map
 * whose `t_mono` is a string and `qualname` an int (LMCache's malformed-middle.lct has both).
 */
export function malformedRecordBody(kind: 'not-a-map' | 'wrong-types'): Uint8Array {
  const w = new MsgpackWriter(128);
  if (kind === 'not-a-map') w.int(42);
  else {
    w.mapHeader(5);
    w.str(RECORD_KEY.type);
    w.str(RECORD_TYPE);
    w.str(RECORD_KEY.tMono);
    w.str('soon');
    w.str(RECORD_KEY.tWall);
    w.float64(0);
    w.str(RECORD_KEY.qualname);
    w.int(7);
    w.str(RECORD_KEY.args);
    w.mapHeader(0);
  }
  return w.bytes().slice();
}

/**
 * An argument value written as `{__t__: tag, v: payload}`: with a tag no codec has, a reader must
 * keep it as raw data and count it, never fail (FORMAT.md, "Argument codecs").
 */
export function unknownTag(tag: string, payload: unknown): Record<string, unknown> {
  return { [TAG_KEY]: tag, [TAG_VALUE_KEY]: payload };
}
