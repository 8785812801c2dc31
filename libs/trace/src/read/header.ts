import { digestMatches } from '../format/config-json.ts';
import { MsgpackDecodeError, MsgpackReader, describe } from '../format/msgpack-reader.ts';
import { FORMAT_VERSION, FRAME_PREFIX_BYTES, HEADER_TYPE, MAGIC, READABLE_SCHEMA_VERSIONS } from '../format/spec.ts';
import type { TraceHeader, TruncationReport } from '../model.ts';

export type HeaderErrorKind =
  | 'empty'
  | 'truncated_header'
  | 'not_a_header'
  | 'bad_magic'
  | 'unsupported_format_version'
  | 'unsupported_schema_version';

/** A header problem: the file cannot be read at all. Messages follow LMCache's reader. */
export class TraceHeaderError extends Error {
  constructor(
    readonly kind: HeaderErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'TraceHeaderError';
  }
}

/** Python's repr of bytes (b'LMCT', b'\x00\x01'), as LMCache prints it in errors. */
export function pyBytesRepr(b: Uint8Array): string {
  let s = "b'";
  for (const c of b) {
    if (c === 0x27) s += "\\'";
    else if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s + "'";
}

export function headerErrorForTruncation(t: TruncationReport | null, totalBytes: number): TraceHeaderError {
  if (totalBytes === 0) return new TraceHeaderError('empty', 'empty file: unexpected EOF reading frame length');
  if (!t || t.claimed === null)
    return new TraceHeaderError('truncated_header', `truncated header: unexpected EOF reading frame length (${t?.available ?? 0} of ${FRAME_PREFIX_BYTES} bytes)`);
  return new TraceHeaderError('truncated_header', `truncated header: frame claims ${t.claimed} bytes, only ${t.available} available`);
}

/** Parses and validates the header frame body buf[start, end). */
export function parseHeader(buf: Uint8Array, start: number, end: number): TraceHeader {
  let m: unknown;
  try {
    const r = new MsgpackReader(buf, start, end, 0);
    m = r.value();
    if (r.pos !== end) throw new TraceHeaderError('not_a_header', `header frame has ${end - r.pos} bytes after its map`);
  } catch (e) {
    if (e instanceof MsgpackDecodeError) throw new TraceHeaderError('not_a_header', `header is not valid msgpack: ${e.message}`);
    throw e;
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m) || m instanceof Uint8Array || m instanceof Map)
    throw new TraceHeaderError('not_a_header', `first frame is not a header (found ${describe(m)})`);
  const h = m as Record<string, unknown>;
  if (h.type !== undefined && h.type !== HEADER_TYPE)
    throw new TraceHeaderError('not_a_header', `first frame is not a header (type ${JSON.stringify(h.type)})`);
  const magic = h.magic;
  if (!(magic instanceof Uint8Array) || magic.length !== MAGIC.length || !magic.every((b, i) => b === MAGIC[i])) {
    const got = magic instanceof Uint8Array ? pyBytesRepr(magic) : magic === undefined ? 'nothing' : `${describe(magic)} ${JSON.stringify(magic)}`;
    throw new TraceHeaderError('bad_magic', `bad magic (got ${got}, expected ${pyBytesRepr(MAGIC)})`);
  }
  if (h.format_version !== FORMAT_VERSION)
    throw new TraceHeaderError('unsupported_format_version', `unsupported format_version ${String(h.format_version)} (this build expects ${FORMAT_VERSION})`);
  const schema = h.trace_schema_version;
  if (typeof schema !== 'number' || !READABLE_SCHEMA_VERSIONS.includes(schema))
    throw new TraceHeaderError('unsupported_schema_version', `unsupported trace_schema_version ${String(schema)} (readable: ${READABLE_SCHEMA_VERSIONS.join(', ')})`);
  const num = (k: string): number => {
    const v = h[k];
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new TraceHeaderError('not_a_header', `header field ${k} must be a number (found ${describe(v)})`);
  };
  const str = (k: string): string => {
    const v = h[k];
    if (typeof v === 'string') return v;
    throw new TraceHeaderError('not_a_header', `header field ${k} must be a str (found ${describe(v)})`);
  };
  const meta = h.level_meta;
  const header: TraceHeader = {
    level: str('level'),
    format_version: FORMAT_VERSION,
    trace_schema_version: schema,
    t_mono_start: num('t_mono_start'),
    t_wall_start: num('t_wall_start'),
    sm_config_json: str('sm_config_json'),
    sm_config_digest: str('sm_config_digest'),
    digest_valid: false,
    frame_bytes: end - start + FRAME_PREFIX_BYTES,
  };
  header.digest_valid = digestMatches(header.sm_config_json, header.sm_config_digest);
  if (meta && typeof meta === 'object' && !Array.isArray(meta) && !(meta instanceof Uint8Array)) header.level_meta = meta as Record<string, unknown>;
  return header;
}
