/**
 * A msgpack writer into one reused, growing buffer. It emits the smallest representation of each
 * value exactly as msgspec does (uint formats for non-negative ints, int formats for negative ones,
 * str8/16/32, bin8/16/32), so files we write are byte-identical to LMCache's for the same values.
 * Floats are always float64 (`0xcb`), as FORMAT.md requires.
 */

const utf8 = new TextEncoder();

export class MsgpackWriter {
  buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(initialSize = 64 * 1024) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.pos = 0;
  }

  /** The written bytes (a view: copy it if the writer is reused). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    // Pre-encoded keys are a few bytes: a loop beats TypedArray.set's per-call overhead there.
    if (n <= 32) {
      const b = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) b[p++] = bytes[i]!;
      this.pos = p;
      return;
    }
    this.buf.set(bytes, this.pos);
    this.pos += n;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Writes a u32 big-endian at an earlier position (a frame's length prefix, in memory only). */
  patchU32(at: number, value: number): void {
    this.view.setUint32(at, value);
  }

  nil(): void {
    this.u8(0xc0);
  }

  bool(v: boolean): void {
    this.u8(v ? 0xc3 : 0xc2);
  }

  float64(v: number): void {
    this.ensure(9);
    this.buf[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, v);
    this.pos += 9;
  }

  /** A JS number: safe integers as msgpack ints, everything else (and -0) as float64. */
  number(v: number): void {
    if (Number.isSafeInteger(v) && !Object.is(v, -0)) this.int(v);
    else this.float64(v);
  }

  int(v: number): void {
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    if (v >= 0) {
      if (v < 0x80) b[p++] = v;
      else if (v < 0x100) { b[p++] = 0xcc; b[p++] = v; }
      else if (v < 0x10000) { b[p++] = 0xcd; this.view.setUint16(p, v); p += 2; }
      else if (v < 0x1_0000_0000) { b[p++] = 0xce; this.view.setUint32(p, v); p += 4; }
      else { b[p++] = 0xcf; this.view.setBigUint64(p, BigInt(v)); p += 8; }
    } else {
      if (v >= -32) b[p++] = v & 0xff;
      else if (v >= -0x80) { b[p++] = 0xd0; this.view.setInt8(p, v); p += 1; }
      else if (v >= -0x8000) { b[p++] = 0xd1; this.view.setInt16(p, v); p += 2; }
      else if (v >= -0x8000_0000) { b[p++] = 0xd2; this.view.setInt32(p, v); p += 4; }
      else { b[p++] = 0xd3; this.view.setBigInt64(p, BigInt(v)); p += 8; }
    }
    this.pos = p;
  }

  bigint(v: bigint): void {
    if (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return this.int(Number(v));
    this.ensure(9);
    if (v >= 0n) {
      if (v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`integer ${v} does not fit in 64 bits`);
      this.buf[this.pos] = 0xcf;
      this.view.setBigUint64(this.pos + 1, v);
    } else {
      if (v < -0x8000_0000_0000_0000n) throw new RangeError(`integer ${v} does not fit in 64 bits`);
      this.buf[this.pos] = 0xd3;
      this.view.setBigInt64(this.pos + 1, v);
    }
    this.pos += 9;
  }

  str(s: string): void {
    const n = s.length;
    // ASCII fast path: one byte per UTF-16 unit, no TextEncoder call (most keys, model names, ids).
    if (n < 0x100) {
      this.ensure(2 + n * 3);
      const b = this.buf;
      const start = this.pos;
      const head = n < 32 ? 1 : 2;
      let p = start + head;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        if (head === 1) b[start] = 0xa0 | n;
        else { b[start] = 0xd9; b[start + 1] = n; }
        this.pos = p;
        return;
      }
    }
    this.strSlow(s);
  }

  private strSlow(s: string): void {
    const max = s.length * 3;
    this.ensure(5 + max);
    // Encode after the largest possible header, then move it back if a smaller header fits.
    const start = this.pos;
    const { written } = utf8.encodeInto(s, this.buf.subarray(start + 5, start + 5 + max));
    const len = written ?? 0;
    const head = len < 32 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : 5;
    if (head !== 5) this.buf.copyWithin(start + head, start + 5, start + 5 + len);
    this.strHeaderAt(start, len);
    this.pos = start + head + len;
  }

  private strHeaderAt(at: number, len: number): void {
    const b = this.buf;
    if (len < 32) b[at] = 0xa0 | len;
    else if (len < 0x100) { b[at] = 0xd9; b[at + 1] = len; }
    else if (len < 0x10000) { b[at] = 0xda; this.view.setUint16(at + 1, len); }
    else { b[at] = 0xdb; this.view.setUint32(at + 1, len); }
  }

  bin(bytes: Uint8Array): void {
    const len = bytes.length;
    this.ensure(5 + len);
    const b = this.buf;
    let p = this.pos;
    if (len < 0x100) { b[p++] = 0xc4; b[p++] = len; }
    else if (len < 0x10000) { b[p++] = 0xc5; this.view.setUint16(p, len); p += 2; }
    else { b[p++] = 0xc6; this.view.setUint32(p, len); p += 4; }
    b.set(bytes, p);
    this.pos = p + len;
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) { this.buf[this.pos] = 0xdc; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xdd; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
  }

  mapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 0x10000) { this.buf[this.pos] = 0xde; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xdf; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
  }
}

/** Pre-encodes a constant string (a map key, a tag) once, to be copied with `raw`. */
export function encodeConstStr(s: string): Uint8Array {
  const w = new MsgpackWriter(64);
  w.str(s);
  return w.bytes().slice();
}
