import { halfEmptyTableSize, TRIM_SLACK, u32Column, u8Column } from './growable.ts';

const CACHE_SLOTS = 64;
const utf8 = new TextEncoder();
// ignoreBOM: a value that starts with U+FEFF keeps it (get(intern(s)) === s).
const utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** A StringTable's strings as bytes: string i is pool[off[i], off[i + 1]) (ASCII as its characters, else UTF-8). */
export interface StringsPart {
  pool: Uint8Array;
  off: Uint32Array;
}

/**
 * Interned strings with dense ids. Id 0 is the empty string, so a zero-filled id column means "none".
 *
 * No JS object per string: the bytes live in one pool (ASCII as its characters, anything else as
 * UTF-8), found through one open-addressing table of ids over typed arrays (hash of the UTF-16
 * code units, so a lookup never encodes an ASCII string). A trace's external request ids are one
 * string per request (1M calls: ~220k of them); as a Map plus two arrays of JS strings they cost
 * ~29 B per call, here ~5. `get` decodes (a query or an export reads a few; a search reads them
 * as bytes, see matchSubstring). Strings are taken as well-formed UTF-16 (what a decoder yields).
 */
export class StringTable {
  private readonly pool = u8Column(1 << 10);
  /** off[i]..off[i+1] is string i in the pool. */
  private readonly off = u32Column(64);
  private slots = new Int32Array(64);
  /** Recently interned strings by a cheap key, so a repeated text skips hashing (texts repeat per method). */
  private readonly cacheStr: string[] = new Array<string>(CACHE_SLOTS).fill('');
  private readonly cacheId = new Int32Array(CACHE_SLOTS);
  private scratch = new Uint8Array(256);
  private valuesCache: string[] | null = null;
  private lowerCache: string[] | null = null;

  constructor() {
    this.off.push(0);
    this.off.push(0);
    this.slots[hashString('') & (this.slots.length - 1)] = 1;
  }

  intern(s: string): number {
    const c = cacheSlot(s);
    if (this.cacheStr[c] === s) return this.cacheId[c]!;
    let id = this.find(s, true);
    if (id < 0) id = this.add(s, ~id);
    this.cacheStr[c] = s;
    this.cacheId[c] = id;
    return id;
  }

  get(id: number): string {
    if (id <= 0 || id >= this.size) return '';
    const o = this.off.data;
    return decode(this.pool.data, o[id]!, o[id + 1]!);
  }

  idOf(s: string): number {
    const id = this.find(s, false);
    return id >= 0 ? id : -1;
  }

  get size(): number {
    return this.off.length - 1;
  }

  /** Every value by id (decoded once per change of the table: for the few-valued tables). */
  get values(): readonly string[] {
    if (this.valuesCache?.length !== this.size) {
      const out: string[] = [];
      for (let i = 0; i < this.size; i++) out.push(this.get(i));
      this.valuesCache = out;
    }
    return this.valuesCache;
  }

  /** Every value lower-cased, by id. */
  get lower(): readonly string[] {
    if (this.lowerCache?.length !== this.size) this.lowerCache = this.values.map((v) => v.toLowerCase());
    return this.lowerCache;
  }

  /**
   * A 0/1 mark per id: the lower-cased value contains `needle` (already lower-cased). Id 0 never
   * matches. An ASCII needle is searched in the bytes of ASCII values, lower-casing as it compares,
   * so a search over every request id decodes none of them.
   */
  matchSubstring(needle: string, out: Uint8Array = new Uint8Array(this.size)): { marks: Uint8Array; hits: number } {
    let hits = 0;
    const n = this.size;
    const pool = this.pool.data, o = this.off.data;
    const m = needle.length;
    let asciiNeedle = true;
    for (let i = 0; i < m; i++) if (needle.charCodeAt(i) >= 0x80) asciiNeedle = false;
    const pat = new Uint8Array(m);
    for (let i = 0; i < m && asciiNeedle; i++) pat[i] = needle.charCodeAt(i);
    for (let id = 1; id < n; id++) {
      const s = o[id]!, e = o[id + 1]!;
      let found: boolean;
      if (isAscii(pool, s, e)) found = asciiNeedle && containsLowered(pool, s, e, pat);
      else found = decode(pool, s, e).toLowerCase().includes(needle);
      if (found) {
        out[id] = 1;
        hits++;
      }
    }
    return { marks: out, hits };
  }

  /**
   * The table's strings as bytes (copies at their exact length), for another thread to intern from
   * (internFrom): a shard's request ids travel as two typed arrays, not as a list of JS strings that
   * both sides would build (decoded here, cloned there) and collect.
   */
  toPart(): StringsPart {
    return { pool: this.pool.trimmed(), off: this.off.trimmed() };
  }

  /** Interns string `id` of a part (toPart) from its bytes: the id `intern` gives that string. */
  internFrom(part: StringsPart, id: number): number {
    const ps = part.off[id]!, pe = part.off[id + 1]!;
    // A non-ASCII value's hash is over its UTF-16 code units: decode (rare).
    if (!isAscii(part.pool, ps, pe)) return this.intern(decode(part.pool, ps, pe));
    if (this.slots.length === 0) this.rebuildSlots();
    const len = pe - ps;
    const mask = this.slots.length - 1;
    let slot = hashAscii(part.pool, ps, pe) & mask;
    for (;;) {
      const v = this.slots[slot]!;
      if (v === 0) break;
      const o = this.off.data, start = o[v - 1]!;
      // Equal bytes are the same string: an ASCII value is kept as its characters, and a non-ASCII one as UTF-8, which has bytes of 0x80 and up.
      if (o[v]! - start === len && sameRange(this.pool.data, start, part.pool, ps, len)) return v - 1;
      slot = (slot + 1) & mask;
    }
    const at = this.pool.length;
    this.pool.resize(at + len);
    // A loop, not set(subarray): a view per new request id was 20 B of garbage a merged call.
    const pool = this.pool.data, src = part.pool;
    for (let i = 0; i < len; i++) pool[at + i] = src[ps + i]!;
    return this.placed(slot, at + len);
  }

  static from(values: readonly string[]): StringTable {
    const t = new StringTable();
    for (let i = 1; i < values.length; i++) t.intern(values[i]!);
    return t;
  }

  /** Bytes held (pool, offsets, slots). */
  get byteLength(): number {
    return this.pool.byteLength + this.off.byteLength + this.slots.byteLength;
  }

  /**
   * Gives back the growth slack and the hash slots (~2 B a call for a trace's request ids), which only
   * adding needs: the trace is complete. A lookup then scans (a query's few); a string added after
   * all rebuilds them.
   */
  trim(): void {
    this.pool.trim(TRIM_SLACK);
    this.off.trim(TRIM_SLACK);
    this.slots = new Int32Array(0);
  }

  /** Returns the id, or ~slot (negative) of the empty slot where `s` would go. */
  private find(s: string, forInsert: boolean): number {
    if (this.slots.length === 0) {
      if (!forInsert) return this.scan(s);
      this.rebuildSlots();
    }
    const h = hashString(s);
    const mask = this.slots.length - 1;
    const slots = this.slots, pool = this.pool.data, o = this.off.data;
    let slot = h & mask;
    let encoded = -1;
    for (;;) {
      const v = slots[slot]!;
      if (v === 0) return forInsert ? ~slot : -1;
      const id = v - 1;
      const start = o[id]!, end = o[id + 1]!;
      if (asciiOf(s)) {
        if (end - start === s.length && sameAscii(pool, start, s)) return id;
      } else {
        if (encoded < 0) encoded = this.encode(s);
        if (end - start === encoded && sameBytes(pool, start, this.scratch, encoded)) return id;
      }
      slot = (slot + 1) & mask;
    }
  }

  private add(s: string, slot: number): number {
    const len = asciiOf(s) ? s.length : this.encode(s);
    const at = this.pool.length;
    this.pool.resize(at + len);
    const pool = this.pool.data;
    if (asciiOf(s)) for (let i = 0; i < len; i++) pool[at + i] = s.charCodeAt(i);
    else pool.set(this.scratch.subarray(0, len), at);
    return this.placed(slot, at + len);
  }

  /** Makes the value just written to the pool, ending at `end`, the next id, found from `slot`. */
  private placed(slot: number, end: number): number {
    const id = this.size;
    this.off.push(end);
    this.slots[slot] = id + 1;
    if ((id + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return id;
  }

  /** UTF-8 of s into the scratch buffer; returns its length. */
  private encode(s: string): number {
    if (this.scratch.length < s.length * 3) this.scratch = new Uint8Array(s.length * 3);
    return utf8.encodeInto(s, this.scratch).written;
  }

  /** The id of `s` by a walk over every value (no slots: a trimmed table), or -1. */
  private scan(s: string): number {
    const pool = this.pool.data, o = this.off.data;
    const ascii = asciiOf(s);
    const len = ascii ? s.length : this.encode(s);
    for (let id = 0, n = this.size; id < n; id++) {
      const start = o[id]!;
      if (o[id + 1]! - start === len && (ascii ? sameAscii(pool, start, s) : sameBytes(pool, start, this.scratch, len))) return id;
    }
    return -1;
  }

  /** The slots trim dropped, for a table that grows again: at most half full, as placed keeps them. */
  private rebuildSlots(): void {
    this.rehash(halfEmptyTableSize(this.size, 64));
  }

  private rehash(capacity: number): void {
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    const pool = this.pool.data, o = this.off.data;
    for (let id = 0, n = this.size; id < n; id++) {
      // An ASCII value hashes from its bytes as its string would: no string decoded per value
      // (a table of request ids decoded every one at each doubling, garbage the merge did not need).
      const s = o[id]!, e = o[id + 1]!;
      let slot = (isAscii(pool, s, e) ? hashAscii(pool, s, e) : hashString(this.get(id))) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = id + 1;
    }
    this.slots = slots;
  }
}

/** FNV-1a over the UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** hashString of an ASCII value, from its bytes pool[s, e). */
function hashAscii(pool: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ pool[i]!, 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

function cacheSlot(s: string): number {
  const n = s.length;
  return n === 0 ? 0 : (n * 7 + s.charCodeAt(0) * 3 + s.charCodeAt(n - 1) + s.charCodeAt(n >> 1)) & (CACHE_SLOTS - 1);
}

/** A one-entry memo: find() asks about the same string once per probe. */
let lastAsciiStr = '';
let lastAscii = true;
function asciiOf(s: string): boolean {
  if (s === lastAsciiStr) return lastAscii;
  let ok = true;
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      ok = false;
      break;
    }
  }
  lastAsciiStr = s;
  lastAscii = ok;
  return ok;
}

function sameAscii(pool: Uint8Array, start: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (pool[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

function sameBytes(pool: Uint8Array, start: number, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (pool[start + i] !== b[i]) return false;
  return true;
}

function sameRange(a: Uint8Array, as: number, b: Uint8Array, bs: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[as + i] !== b[bs + i]) return false;
  return true;
}

function isAscii(pool: Uint8Array, s: number, e: number): boolean {
  for (let i = s; i < e; i++) if (pool[i]! >= 0x80) return false;
  return true;
}

/** pool[s, e) lower-cased (ASCII) contains pat (lower-case ASCII). */
function containsLowered(pool: Uint8Array, s: number, e: number, pat: Uint8Array): boolean {
  const m = pat.length;
  if (m === 0) return true;
  outer: for (let i = s; i + m <= e; i++) {
    for (let j = 0; j < m; j++) {
      let b = pool[i + j]!;
      if (b >= 65 && b <= 90) b += 32;
      if (b !== pat[j]) continue outer;
    }
    return true;
  }
  return false;
}

function decode(pool: Uint8Array, s: number, e: number): string {
  if (e - s <= 64 && isAscii(pool, s, e)) {
    let out = '';
    for (let i = s; i < e; i++) out += String.fromCharCode(pool[i]!);
    return out;
  }
  return utf8Decoder.decode(pool.subarray(s, e));
}
