import { concatBytes } from '../util/bytes.ts';
import { MsgpackWriter, encodeConstStr } from './msgpack-writer.ts';
import { FORMAT_VERSION, FRAME_PREFIX_BYTES, HEADER_KEY, HEADER_TYPE, MAGIC, MAX_FRAME_BYTES, RECORD_KEY, RECORD_TYPE, TRACE_SCHEMA_VERSION } from './spec.ts';

/** Writes one argument value (plain or tagged). codec/'s CodecRegistry is one; format/ knows no codec. */
export interface ArgWriter {
  encode(w: MsgpackWriter, value: unknown): void;
}

export interface HeaderFields {
  level: string;
  t_mono_start: number;
  t_wall_start: number;
  sm_config_json: string;
  sm_config_digest: string;
  trace_schema_version?: number;
  format_version?: number;
  level_meta?: Record<string, unknown>;
}

/** The header frame (prefix included), keys in LMCache's order, `level_meta` only when non-empty. */
export function encodeHeaderFrame(h: HeaderFields, registry: ArgWriter): Uint8Array {
  const w = new MsgpackWriter(1024);
  w.raw(new Uint8Array(FRAME_PREFIX_BYTES));
  const meta = h.level_meta && Object.keys(h.level_meta).length > 0 ? h.level_meta : undefined;
  w.mapHeader(meta ? 10 : 9);
  w.str(HEADER_KEY.type);
  w.str(HEADER_TYPE);
  w.str(HEADER_KEY.magic);
  w.bin(MAGIC);
  w.str(HEADER_KEY.formatVersion);
  w.int(h.format_version ?? FORMAT_VERSION);
  w.str(HEADER_KEY.level);
  w.str(h.level);
  w.str(HEADER_KEY.schemaVersion);
  w.int(h.trace_schema_version ?? TRACE_SCHEMA_VERSION);
  w.str(HEADER_KEY.tMonoStart);
  w.float64(h.t_mono_start);
  w.str(HEADER_KEY.tWallStart);
  w.float64(h.t_wall_start);
  w.str(HEADER_KEY.configJson);
  w.str(h.sm_config_json);
  w.str(HEADER_KEY.configDigest);
  w.str(h.sm_config_digest);
  if (meta) {
    w.str(HEADER_KEY.levelMeta);
    registry.encode(w, meta);
  }
  w.patchU32(0, w.pos - FRAME_PREFIX_BYTES);
  return w.bytes().slice();
}

// `{type: "record", t_mono: ` up to the float marker, and the keys between fields, encoded once.
const REC_HEAD = concatBytes(new Uint8Array([0x85]), encodeConstStr(RECORD_KEY.type), encodeConstStr(RECORD_TYPE), encodeConstStr(RECORD_KEY.tMono));
const K_T_WALL = encodeConstStr(RECORD_KEY.tWall);
const K_QUALNAME = encodeConstStr(RECORD_KEY.qualname);
const K_ARGS = encodeConstStr(RECORD_KEY.args);


/**
 * Encodes record frames into a caller-owned writer: the record's constant key strings, the
 * qualname and the parameter names are pre-encoded once per method and copied, values are written
 * straight into the reused buffer. This is the recorder's hot path.
 */
export class RecordFrameEncoder {
  private readonly qualnames = new Map<string, Uint8Array>();
  private readonly names = new WeakMap<readonly string[], Uint8Array[]>();

  constructor(private readonly registry: ArgWriter) {}

  /**
   * Appends one frame; on an encode error the writer is rolled back to where it was and the error
   * is rethrown, so a batch never holds half a frame.
   */
  append(w: MsgpackWriter, tMono: number, tWall: number, qualname: string, argNames: readonly string[], args: readonly unknown[]): void {
    const start = w.pos;
    try {
      w.raw(PREFIX_PLACEHOLDER);
      w.raw(REC_HEAD);
      w.float64(tMono);
      w.raw(K_T_WALL);
      w.float64(tWall);
      w.raw(K_QUALNAME);
      w.raw(this.qualnameBytes(qualname));
      w.raw(K_ARGS);
      const names = this.nameBytes(argNames);
      w.mapHeader(names.length);
      for (let i = 0; i < names.length; i++) {
        w.raw(names[i]!);
        this.registry.encode(w, args[i]);
      }
      const body = w.pos - start - FRAME_PREFIX_BYTES;
      if (body > MAX_FRAME_BYTES) throw new RangeError(`a ${body}-byte record does not fit the u32 frame prefix`);
      w.patchU32(start, body);
    } catch (e) {
      w.pos = start;
      throw e;
    }
  }

  private qualnameBytes(q: string): Uint8Array {
    let b = this.qualnames.get(q);
    if (!b) {
      b = encodeConstStr(q);
      this.qualnames.set(q, b);
    }
    return b;
  }

  private nameBytes(argNames: readonly string[]): Uint8Array[] {
    let b = this.names.get(argNames);
    if (!b) {
      b = argNames.map(encodeConstStr);
      this.names.set(argNames, b);
    }
    return b;
  }
}

const PREFIX_PLACEHOLDER = new Uint8Array(FRAME_PREFIX_BYTES);
