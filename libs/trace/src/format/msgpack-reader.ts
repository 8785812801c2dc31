/**
 * A msgpack decoder over a byte range. It never trusts a length for allocation (every count is
 * bounded by the bytes that remain), limits nesting depth, reports errors with the absolute byte
 * offset, and hands tagged maps (`{__t__, v}`) to a hook so codecs decode in the same single pass.
 * Integers beyond 2^53 decode as bigint; maps with only string keys become plain objects
 * (a `__proto__` key in a file is an own data property, never a prototype), others become Map.
 */

export class MsgpackDecodeError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'MsgpackDecodeError';
  }
}

export type TaggedHook = (tag: string, payload: unknown) => unknown;

const MAX_DEPTH = 256;
// ignoreBOM: a string that starts with U+FEFF keeps it, as Python's decode keeps it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class MsgpackReader {
  pos: number;
  private readonly view: DataView;
  private depth = 0;

  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    readonly end = buf.length,
    /** Added to offsets in errors, so they point into the file rather than the buffer. */
    readonly baseOffset = 0,
    private readonly tagged?: TaggedHook,
  ) {
    this.pos = pos;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(message: string, at = this.pos): never {
    throw new MsgpackDecodeError(message, this.baseOffset + at);
  }

  private need(n: number): void {
    if (this.pos + n > this.end) this.fail(`unexpected end of data (need ${n} bytes, ${this.end - this.pos} left)`);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads a string header and body; throws if the next value is not a str. */
  str(): string {
    const start = this.pos;
    const b = this.byte();
    let len: number;
    if ((b & 0xe0) === 0xa0) len = b & 0x1f;
    else if (b === 0xd9) len = this.byte();
    else if (b === 0xda) len = this.u16();
    else if (b === 0xdb) len = this.u32();
    else return this.fail(`expected str, found 0x${b.toString(16)}`, start);
    return this.strBody(len);
  }

  strBody(len: number): string {
    this.need(len);
    const p = this.pos;
    this.pos += len;
    return len <= CACHED_STR_MAX ? cachedString(this.buf, p, len, this.baseOffset) : decodeUtf8(this.buf, p, len, this.baseOffset);
  }

  /** Reads a map header; throws if the next value is not a map. */
  mapHeader(): number {
    const start = this.pos;
    const b = this.byte();
    if ((b & 0xf0) === 0x80) return b & 0x0f;
    if (b === 0xde) return this.u16();
    if (b === 0xdf) return this.u32();
    return this.fail(`expected map, found 0x${b.toString(16)}`, start);
  }

  /** A number (int or float); throws otherwise. */
  number(): number {
    const start = this.pos;
    const v = this.value();
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    return this.fail(`expected a number, found ${describe(v)}`, start);
  }

  value(): unknown {
    const b = this.byte();
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if ((b & 0xe0) === 0xa0) return this.strBody(b & 0x1f);
    if ((b & 0xf0) === 0x90) return this.array(b & 0x0f);
    if ((b & 0xf0) === 0x80) return this.map(b & 0x0f);
    switch (b) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.binBody(this.byte());
      case 0xc5: return this.binBody(this.u16());
      case 0xc6: return this.binBody(this.u32());
      case 0xca: { this.need(4); const v = this.view.getFloat32(this.pos); this.pos += 4; return v; }
      case 0xcb: { this.need(8); const v = this.view.getFloat64(this.pos); this.pos += 8; return v; }
      case 0xcc: return this.byte();
      case 0xcd: return this.u16();
      case 0xce: return this.u32();
      case 0xcf: { this.need(8); const v = this.view.getBigUint64(this.pos); this.pos += 8; return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
      case 0xd0: { this.need(1); const v = this.view.getInt8(this.pos); this.pos += 1; return v; }
      case 0xd1: { this.need(2); const v = this.view.getInt16(this.pos); this.pos += 2; return v; }
      case 0xd2: { this.need(4); const v = this.view.getInt32(this.pos); this.pos += 4; return v; }
      case 0xd3: { this.need(8); const v = this.view.getBigInt64(this.pos); this.pos += 8; return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
      case 0xd9: return this.strBody(this.byte());
      case 0xda: return this.strBody(this.u16());
      case 0xdb: return this.strBody(this.u32());
      case 0xdc: return this.array(this.u16());
      case 0xdd: return this.array(this.u32());
      case 0xde: return this.map(this.u16());
      case 0xdf: return this.map(this.u32());
      default:
        return this.fail(`unsupported msgpack type 0x${b.toString(16)} (ext types are not part of the format)`, this.pos - 1);
    }
  }

  private binBody(len: number): Uint8Array {
    this.need(len);
    const out = this.buf.slice(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
  }

  private array(n: number): unknown[] {
    // Each element takes at least one byte: a count beyond what remains is corrupt, not a reason to allocate.
    if (n > this.end - this.pos) this.fail(`array of ${n} items in ${this.end - this.pos} bytes`);
    this.enter();
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    this.depth--;
    return out;
  }

  private map(n: number): unknown {
    if (n * 2 > this.end - this.pos) this.fail(`map of ${n} entries in ${this.end - this.pos} bytes`);
    this.enter();
    const entriesStart = this.pos;
    if (n === 2 && this.tagged) {
      const k = this.value();
      if (k === '__t__') {
        const tag = this.value();
        const k2 = this.value();
        if (typeof tag === 'string' && k2 === 'v') {
          const payload = this.value();
          this.depth--;
          return this.tagged(tag, payload);
        }
      }
      this.pos = entriesStart;
    }
    // A plain object keeps V8's fast properties (a null-prototype object is a slow dictionary);
    // `__proto__` is defined as an own data property, so a file can never set a prototype.
    let obj: Record<string, unknown> | null = {};
    let map: Map<unknown, unknown> | null = null;
    for (let i = 0; i < n; i++) {
      const key = this.value();
      const val = this.value();
      if (obj && typeof key === 'string') {
        if (key === '__proto__') Object.defineProperty(obj, key, { value: val, enumerable: true, writable: true, configurable: true });
        else obj[key] = val;
      } else {
        if (!map) {
          map = new Map(Object.entries(obj ?? {}));
          obj = null;
        }
        map.set(key, val);
      }
    }
    this.depth--;
    return map ?? obj;
  }

  /** Skips one value without building it. */
  skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      const b = this.byte();
      if (b < 0x80 || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if ((b & 0xe0) === 0xa0) { this.skipBytes(b & 0x1f); continue; }
      if ((b & 0xf0) === 0x90) { pending += b & 0x0f; continue; }
      if ((b & 0xf0) === 0x80) { pending += (b & 0x0f) * 2; continue; }
      switch (b) {
        case 0xc4: case 0xd9: this.skipBytes(this.byte()); break;
        case 0xc5: case 0xda: this.skipBytes(this.u16()); break;
        case 0xc6: case 0xdb: this.skipBytes(this.u32()); break;
        case 0xca: this.skipBytes(4); break;
        case 0xcb: this.skipBytes(8); break;
        case 0xcc: case 0xd0: this.skipBytes(1); break;
        case 0xcd: case 0xd1: this.skipBytes(2); break;
        case 0xce: case 0xd2: this.skipBytes(4); break;
        case 0xcf: case 0xd3: this.skipBytes(8); break;
        case 0xdc: pending += this.u16(); break;
        case 0xdd: pending += this.u32(); break;
        case 0xde: pending += this.u16() * 2; break;
        case 0xdf: pending += this.u32() * 2; break;
        default:
          this.fail(`unsupported msgpack type 0x${b.toString(16)}`, this.pos - 1);
      }
      if (pending > this.end - this.pos) this.fail(`container claims ${pending} items in ${this.end - this.pos} bytes`);
    }
  }

  private skipBytes(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

const CACHED_STR_MAX = 40;
const CACHE_SLOTS = 4096;
/**
 * Slot i's bytes are cachePool[i * CACHED_STR_MAX, + cacheLen[i]) (-1: empty): one buffer, so a
 * miss copies its bytes in place (a slice per miss was garbage on every record with a request id).
 */
const cachePool = new Uint8Array(CACHE_SLOTS * CACHED_STR_MAX);
const cacheLen = new Int8Array(CACHE_SLOTS).fill(-1);
const cacheText: string[] = new Array<string>(CACHE_SLOTS).fill('');

/**
 * Short strings repeat on every record (map keys, model names, dtypes): return the same string
 * instance for the same bytes. Besides saving the decode, a repeated instance is a property key V8
 * has already internalized, where a freshly built key costs a string-table lookup on every store
 * (the idea of msgpackr's key cache). A direct-mapped table: a collision just replaces the slot.
 */
function cachedString(buf: Uint8Array, p: number, len: number, baseOffset: number): string {
  let h = len;
  for (let i = 0; i < len; i++) h = Math.imul(h, 31) + buf[p + i]!;
  const slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
  const at = slot * CACHED_STR_MAX;
  if (cacheLen[slot] === len) {
    let i = 0;
    while (i < len && cachePool[at + i] === buf[p + i]) i++;
    if (i === len) return cacheText[slot]!;
  }
  const text = decodeUtf8(buf, p, len, baseOffset);
  for (let i = 0; i < len; i++) cachePool[at + i] = buf[p + i]!;
  cacheLen[slot] = len;
  cacheText[slot] = text;
  return text;
}

/** Char codes of a short ASCII string, one reused array per length (apply reads the whole array). */
const asciiCodes: number[][] = Array.from({ length: 65 }, (_, n) => new Array<number>(n).fill(0));

/**
 * Short ASCII strings (keys, names, request ids) are built directly from their codes; longer or
 * non-ASCII go through TextDecoder. Built in one call: appending a character at a time made a
 * string per character (about 200 bytes of garbage for a request id of ten characters, the bulk
 * of what an index shard allocated).
 */
export function decodeUtf8(buf: Uint8Array, p: number, len: number, baseOffset = 0): string {
  if (len <= 64) {
    const codes = asciiCodes[len]!;
    let i = 0;
    for (; i < len; i++) {
      const c = buf[p + i]!;
      if (c >= 0x80) break;
      codes[i] = c;
    }
    if (i === len) return String.fromCharCode.apply(null, codes);
  }
  try {
    return utf8.decode(buf.subarray(p, p + len));
  } catch {
    throw new MsgpackDecodeError('invalid UTF-8 in str', baseOffset + p);
  }
}

export function describe(v: unknown): string {
  if (v === null) return 'nil';
  if (v instanceof Uint8Array) return 'bin';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Map) return 'map';
  if (typeof v === 'object') return 'map';
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(v) || typeof v === 'bigint' ? 'int' : 'float';
  return typeof v;
}
