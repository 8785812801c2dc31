import { concatBytes } from '../util/bytes.ts';
import { MsgpackDecodeError, MsgpackReader, decodeUtf8, describe } from '../format/msgpack-reader.ts';
import { encodeConstStr } from '../format/msgpack-writer.ts';
import { RECORD_TYPE } from '../format/spec.ts';

/** The fields a scan needs; args stay as bytes [argsStart, argsEnd) of the frame. */
export interface RecordEnvelope {
  t_mono: number;
  t_wall: number;
  qualname: string;
  argsStart: number;
  argsEnd: number;
}

export class MalformedRecordError extends Error {}

/** An envelope for readEnvelope to fill (`out`): one per reader, reused for every record. */
export const newEnvelope = (): RecordEnvelope => ({ t_mono: 0.5, t_wall: 0.5, qualname: '', argsStart: 0, argsEnd: 0 });


// The exact bytes LMCache (and we) write before each variable field, for the fast path.
const HEAD = concatBytes(new Uint8Array([0x85]), encodeConstStr('type'), encodeConstStr(RECORD_TYPE), encodeConstStr('t_mono'), new Uint8Array([0xcb]));
const T_WALL = concatBytes(encodeConstStr('t_wall'), new Uint8Array([0xcb]));
const QUALNAME = encodeConstStr('qualname');
const ARGS = encodeConstStr('args');

function matchAt(buf: Uint8Array, p: number, pat: Uint8Array): boolean {
  for (let i = 0; i < pat.length; i++) if (buf[p + i] !== pat[i]) return false;
  return true;
}

const isMapByte = (b: number | undefined): boolean => b !== undefined && ((b & 0xf0) === 0x80 || b === 0xde || b === 0xdf);

/**
 * Qualnames repeat on every record and there are few of them: compare bytes against the ones seen
 * (length first, then from the end, where they differ) instead of decoding UTF-8 each time.
 */
export class QualnameInterner {
  private readonly seen: { bytes: Uint8Array; text: string }[] = [];

  /** `baseOffset`: the file offset of buf[0], for the byte offset of an error. */
  get(buf: Uint8Array, p: number, len: number, baseOffset: number): string {
    const seen = this.seen;
    outer: for (let s = 0; s < seen.length; s++) {
      const e = seen[s]!;
      const b = e.bytes;
      if (b.length !== len) continue;
      for (let i = len - 1; i >= 0; i--) if (b[i] !== buf[p + i]) continue outer;
      return e.text;
    }
    const text = decodeUtf8(buf, p, len, baseOffset);
    if (seen.length < 512) seen.push({ bytes: buf.slice(p, p + len), text });
    return text;
  }
}

/**
 * Reads a record's envelope from its frame body buf[start, end). Fast path: the exact layout LMCache
 * writes (5 keys, `args` last), read at fixed positions without walking args. Anything else goes
 * through the general path (keys in any order, ints for floats, unknown keys ignored). Throws
 * MalformedRecordError with the reason when the frame is not a Record. `baseOffset` is the file
 * offset of buf[0] (0 by default), so that errors name file offsets whatever the chunking. `out`:
 * an envelope for the fast path to fill and return instead of a new one (a reader's hot path reuses
 * one, so a record costs no object here: that garbage grew the workers' young generations).
 */
export function readEnvelope(buf: Uint8Array, start: number, end: number, interner: QualnameInterner, view: DataView, baseOffset = 0, out?: RecordEnvelope): RecordEnvelope {
  let p = start;
  if (end - start > HEAD.length + 40 && matchAt(buf, p, HEAD)) {
    p += HEAD.length;
    const t_mono = view.getFloat64(p);
    p += 8;
    if (matchAt(buf, p, T_WALL)) {
      p += T_WALL.length;
      const t_wall = view.getFloat64(p);
      p += 8;
      if (matchAt(buf, p, QUALNAME)) {
        p += QUALNAME.length;
        const b = buf[p]!;
        let len = -1;
        if ((b & 0xe0) === 0xa0) { len = b & 0x1f; p += 1; }
        else if (b === 0xd9) { len = buf[p + 1]!; p += 2; }
        else if (b === 0xda) { len = (buf[p + 1]! << 8) | buf[p + 2]!; p += 3; }
        if (len >= 0 && p + len + ARGS.length < end) {
          const qp = p;
          p += len;
          if (matchAt(buf, p, ARGS) && isMapByte(buf[p + ARGS.length])) {
            if (Number.isFinite(t_mono) && Number.isFinite(t_wall)) {
              const qualname = interner.get(buf, qp, len, baseOffset);
              if (out === undefined) return { t_mono, t_wall, qualname, argsStart: p + ARGS.length, argsEnd: end };
              out.t_mono = t_mono;
              out.t_wall = t_wall;
              out.qualname = qualname;
              out.argsStart = p + ARGS.length;
              out.argsEnd = end;
              return out;
            }
          }
        }
      }
    }
  }
  return readEnvelopeGeneral(buf, start, end, baseOffset);
}

function readEnvelopeGeneral(buf: Uint8Array, start: number, end: number, baseOffset: number): RecordEnvelope {
  const r = new MsgpackReader(buf, start, end, baseOffset);
  let n: number;
  try {
    n = r.mapHeader();
  } catch (e) {
    if (e instanceof MsgpackDecodeError) {
      r.pos = start;
      let found = 'undecodable bytes';
      try {
        found = describe(r.value());
      } catch {
        /* keep the generic description */
      }
      throw new MalformedRecordError(`record frame is not a map (found ${found})`);
    }
    throw e;
  }
  const env: Partial<RecordEnvelope> = {};
  let type: unknown;
  try {
    for (let i = 0; i < n; i++) {
      const keyAt = r.pos;
      const key = r.value();
      const valueAt = r.pos;
      switch (key) {
        case 'type': type = r.value(); break;
        case 't_mono': env.t_mono = numberField(r, 't_mono'); break;
        case 't_wall': env.t_wall = numberField(r, 't_wall'); break;
        case 'qualname': {
          const q = r.value();
          if (typeof q !== 'string') throw new MalformedRecordError(`record field qualname must be a str (found ${describe(q)})`);
          env.qualname = q;
          break;
        }
        case 'args':
          if (!isMapByte(buf[valueAt])) {
            const v = r.value();
            throw new MalformedRecordError(`record field args must be a map (found ${describe(v)})`);
          }
          r.skip();
          env.argsStart = valueAt;
          env.argsEnd = r.pos;
          break;
        default:
          if (typeof key !== 'string') throw new MalformedRecordError(`record has a non-str key at byte ${baseOffset + keyAt}`);
          r.skip();
      }
    }
  } catch (e) {
    if (e instanceof MsgpackDecodeError) throw new MalformedRecordError(`record frame is not valid msgpack: ${e.message}`);
    throw e;
  }
  if (r.pos !== end) throw new MalformedRecordError(`${end - r.pos} bytes after the record map`);
  if (type !== RECORD_TYPE) throw new MalformedRecordError(`frame type is ${JSON.stringify(type ?? null)}, not "record"`);
  for (const k of ['t_mono', 't_wall', 'qualname', 'argsStart'] as const)
    if (env[k] === undefined) throw new MalformedRecordError(`record lacks ${k === 'argsStart' ? 'args' : k}`);
  // NaN or infinite times make durations, timelines and pacing meaningless: not a valid Record.
  if (!Number.isFinite(env.t_mono!) || !Number.isFinite(env.t_wall!)) throw new MalformedRecordError(`record time is not finite (t_mono ${env.t_mono}, t_wall ${env.t_wall})`);
  return env as RecordEnvelope;
}

function numberField(r: MsgpackReader, name: string): number {
  const v = r.value();
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new MalformedRecordError(`record field ${name} must be a number (found ${describe(v)})`);
}
