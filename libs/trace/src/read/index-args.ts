import type { CodecRegistry } from '../codec/registry.ts';
import { MsgpackReader } from '../format/msgpack-reader.ts';
import { MsgpackWriter, encodeConstStr } from '../format/msgpack-writer.ts';
import { TAG_KEY, TAG_VALUE_KEY, TAGS } from '../format/spec.ts';
import { ObjectKey, Tuple } from '../model.ts';
import { concatBytes } from '../util/bytes.ts';

/**
 * What an index needs from a record's arguments, in argument order: each top-level argument is
 * either a list (array or tuple) of ObjectKeys, whose keys arrive as their fields straight from the
 * buffer, or any other value, decoded. Equivalent to `for (const name in rec.decodeArgs())` where a
 * key list `[k0, k1]` (or `Tuple([k0, k1])`) is reported as keyList(name, 2), key(k0), key(k1).
 */
export interface IndexArgsSink {
  keyList(name: string, count: number): void;
  /** One ObjectKey; its chunk hash is buf[hashStart, hashStart + hashLen) (valid during the call only). */
  key(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): void;
  /** Any other argument. Containers may be one instance shared between records: read, never mutate. */
  value(name: string, v: unknown): void;
}

const CACHE_SLOTS = 512;
const CACHE_MAX_BYTES = 1024;
/** Longest key tail (model name, rank, group, salt with their field names) remembered for the comparison. */
const TAIL_MAX = 512;

const OK_HEAD = concatBytes(
  new Uint8Array([0x82]),
  encodeConstStr(TAG_KEY),
  encodeConstStr(TAGS.objectKey),
  encodeConstStr(TAG_VALUE_KEY),
  new Uint8Array([0x85]),
  encodeConstStr('chunk_hash'),
);
const OK_HEAD_VIEW = new DataView(OK_HEAD.buffer, OK_HEAD.byteOffset, OK_HEAD.byteLength);
const TUPLE_HEAD = concatBytes(new Uint8Array([0x82]), encodeConstStr(TAG_KEY), encodeConstStr(TAGS.tuple), encodeConstStr(TAG_VALUE_KEY));
const K_MODEL = encodeConstStr('model_name');
const K_RANK = encodeConstStr('kv_rank');
const K_GROUP = encodeConstStr('object_group_id');
const K_SALT = encodeConstStr('cache_salt');

/**
 * Walks a record's `args` bytes for an index (IndexArgsSink) without building the ObjectKeys, which
 * are most of a record's bytes: the fields of keys written in the layout the writer uses (the
 * ObjectKey codec's, in a plain array or a tuple) are read in place; other container values are
 * decoded by the registry, repeated byte-identical ones once (a small cache); anything unusual (a
 * non-canonical key, an argument name an object would reorder, malformed bytes) makes the whole
 * record go through `registry.decodeArgs`, so errors and results are those of the full decode.
 * The sink is only called once the record's bytes have been walked without error.
 * One instance per thread; not reentrant (a sink must not scan from its callbacks).
 */
export class IndexArgsScanner {
  private readonly usable: boolean;
  private reader: MsgpackReader | null = null;
  // Per record, reused: arguments (kind 0 = key list, 1 = value) and the keys of key lists. The
  // arrays are never emptied by `length = 0`, which gives V8 arrays a new backing store on the next
  // push: hundreds of bytes of garbage a record, which grew the shard workers' young generation.
  private nArgs = 0;
  private names: string[] = [];
  private kinds: number[] = [];
  private values: unknown[] = [];
  private counts: number[] = [];
  private kHashStart = new Int32Array(64);
  private kHashLen = new Int32Array(64);
  private kRank = new Float64Array(64);
  private kGroup = new Float64Array(64);
  private kModel: string[] = [];
  private kSalt: string[] = [];
  private nKeys = 0;
  // The bytes after the hash of the last key read field by field, and its fields (see objectKey).
  private readonly tail = new Uint8Array(TAIL_MAX);
  private readonly tailView = new DataView(this.tail.buffer);
  private view: DataView | null = null;
  private tailLen = 0;
  private tailModel = '';
  private tailRank = 0;
  private tailGroup = 0;
  private tailSalt = '';
  private unknownTags = 0;
  private readonly cacheBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(CACHE_SLOTS);
  private readonly cacheValue: unknown[] = new Array<unknown>(CACHE_SLOTS);
  private readonly cacheUnknown = new Int32Array(CACHE_SLOTS);
  private scratch = new Uint8Array(256);

  constructor(private readonly registry: CodecRegistry) {
    this.usable = probe(registry);
  }

  /** Feeds `sink` the arguments in bytes [start, end) of buf; returns the unknown-tag count (as decodeArgs). */
  scan(buf: Uint8Array, start: number, end: number, baseOffset: number, sink: IndexArgsSink): number {
    if (this.usable && this.walk(buf, start, end)) {
      this.emit(buf, sink);
      return this.unknownTags;
    }
    const d = this.registry.decodeArgs(buf, start, end, baseOffset);
    const args = d.args;
    for (const name in args) sink.value(name, args[name]);
    return d.unknownTags;
  }

  /**
   * Checks the arguments in bytes [start, end) as `registry.decodeArgs` would (it throws for the same
   * bytes, with the same error) and returns the unknown-tag count, building none of the keys.
   */
  check(buf: Uint8Array, start: number, end: number, baseOffset: number): number {
    if (this.usable && this.walk(buf, start, end)) {
      this.dropValues();
      return this.unknownTags;
    }
    return this.registry.decodeArgs(buf, start, end, baseOffset).unknownTags;
  }

  private emit(buf: Uint8Array, sink: IndexArgsSink): void {
    let k = 0;
    for (let i = 0; i < this.nArgs; i++) {
      if (this.kinds[i] === 1) {
        sink.value(this.names[i]!, this.values[i]);
        continue;
      }
      const n = this.counts[i]!;
      sink.keyList(this.names[i]!, n);
      for (let e = k + n; k < e; k++) sink.key(buf, this.kHashStart[k]!, this.kHashLen[k]!, this.kModel[k]!, this.kRank[k]!, this.kGroup[k]!, this.kSalt[k]!);
    }
    this.dropValues();
  }

  /** Lets go of the record's decoded values (the slots stay for the next record). */
  private dropValues(): void {
    for (let i = 0; i < this.nArgs; i++) this.values[i] = undefined;
  }

  private pushArg(name: string, kind: number, value: unknown, count: number): void {
    const i = this.nArgs++;
    this.names[i] = name;
    this.kinds[i] = kind;
    this.values[i] = value;
    this.counts[i] = count;
  }

  /** Fills the per-record lists; false when the record needs the full decode. */
  private walk(buf: Uint8Array, start: number, end: number): boolean {
    // A walk that failed (the record then went through the full decode) may have left values.
    this.dropValues();
    this.nArgs = 0;
    this.nKeys = 0;
    this.unknownTags = 0;
    if (this.reader === null || this.reader.buf !== buf) {
      this.reader = new MsgpackReader(buf, 0, buf.length);
      this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const r = this.reader;
    try {
      r.pos = start;
      if (start >= end) return false;
      const b = buf[start]!;
      let n: number;
      if ((b & 0xf0) === 0x80) n = b & 0x0f;
      else if (b === 0xde || b === 0xdf) n = r.mapHeader();
      else return false;
      if (b !== 0xde && b !== 0xdf) r.pos++;
      for (let i = 0; i < n; i++) {
        if (r.pos >= end) return false;
        const name = r.str();
        // Names an object would reorder (integer-like), redefine (duplicates) or treat specially.
        const c = name.charCodeAt(0);
        if ((c >= 48 && c <= 57) || name === '__proto__' || (n === 2 && i === 0 && name === TAG_KEY)) return false;
        for (let j = 0; j < this.nArgs; j++) if (this.names[j] === name) return false;
        if (r.pos >= end) return false;
        const valStart = r.pos;
        const count = this.keyList(buf, r, end);
        if (count >= 0) {
          this.pushArg(name, 0, undefined, count);
          continue;
        }
        r.pos = valStart;
        const v = this.value(buf, r, end);
        if (r.pos > end) return false;
        this.pushArg(name, 1, v, 0);
      }
      return r.pos === end;
    } catch {
      // A throwing reader may be left mid-container (its depth count): start a fresh one next time.
      this.reader = null;
      return false;
    }
  }

  /** Reads a canonical list of ObjectKeys into the key scratch; -1 (keys dropped) when it is not one. */
  private keyList(buf: Uint8Array, r: MsgpackReader, end: number): number {
    let p = r.pos;
    if (startsWith(buf, p, end, TUPLE_HEAD)) p += TUPLE_HEAD.length;
    if (p >= end) return -1;
    const b = buf[p]!;
    let n: number;
    if ((b & 0xf0) === 0x90) {
      n = b & 0x0f;
      p += 1;
    } else if (b === 0xdc && p + 3 <= end) {
      n = (buf[p + 1]! << 8) | buf[p + 2]!;
      p += 3;
    } else if (b === 0xdd && p + 5 <= end) {
      n = ((buf[p + 1]! << 24) | (buf[p + 2]! << 16) | (buf[p + 3]! << 8) | buf[p + 4]!) >>> 0;
      p += 5;
    } else return -1;
    const first = this.nKeys;
    for (let i = 0; i < n; i++) {
      p = this.objectKey(buf, r, p, end);
      if (p < 0) {
        this.nKeys = first;
        return -1;
      }
    }
    r.pos = p;
    return n;
  }

  /** One ObjectKey in the codec's layout at p: pushes its fields, returns the position after it, or -1. */
  private objectKey(buf: Uint8Array, r: MsgpackReader, p: number, end: number): number {
    if (p + OK_HEAD.length + 2 > end) return -1;
    const v = this.view!;
    if (!sameBytes(v, p, OK_HEAD_VIEW, OK_HEAD.length)) return -1;
    p += OK_HEAD.length;
    const b = buf[p]!;
    let len: number;
    if (b === 0xc4) {
      len = buf[p + 1]!;
      p += 2;
    } else if (b === 0xc5 && p + 3 <= end) {
      len = (buf[p + 1]! << 8) | buf[p + 2]!;
      p += 3;
    } else if (b === 0xc6 && p + 5 <= end) {
      len = ((buf[p + 1]! << 24) | (buf[p + 2]! << 16) | (buf[p + 3]! << 8) | buf[p + 4]!) >>> 0;
      p += 5;
    } else return -1;
    const hashStart = p;
    p += len;
    const k = this.nKeys;
    if (k === this.kRank.length) this.growKeys();
    // Keys of one trace differ in their hash and rarely in the rest: when the bytes after the hash
    // are those of the last key read here, so are its fields (msgpack values end where their bytes
    // say, so equal bytes parse equally), and a byte comparison replaces four decodes.
    const tl = this.tailLen;
    if (tl > 0 && p + tl <= end) {
      if (sameBytes(v, p, this.tailView, tl)) {
        this.nKeys = k + 1;
        this.kHashStart[k] = hashStart;
        this.kHashLen[k] = len;
        this.kModel[k] = this.tailModel;
        this.kRank[k] = this.tailRank;
        this.kGroup[k] = this.tailGroup;
        this.kSalt[k] = this.tailSalt;
        return p + tl;
      }
    }
    const tailStart = p;
    if (!startsWith(buf, p, end, K_MODEL)) return -1;
    r.pos = p + K_MODEL.length;
    const model = r.value();
    if (typeof model !== 'string' || !startsWith(buf, r.pos, end, K_RANK)) return -1;
    r.pos += K_RANK.length;
    const rank = r.value();
    if (typeof rank !== 'number' || !Number.isInteger(rank) || !startsWith(buf, r.pos, end, K_GROUP)) return -1;
    r.pos += K_GROUP.length;
    const group = r.value();
    if (typeof group !== 'number' || !Number.isInteger(group) || !startsWith(buf, r.pos, end, K_SALT)) return -1;
    r.pos += K_SALT.length;
    const salt = r.value();
    if (typeof salt !== 'string' || r.pos > end) return -1;
    this.nKeys = k + 1;
    this.kHashStart[k] = hashStart;
    this.kHashLen[k] = len;
    this.kModel[k] = model;
    this.kRank[k] = rank;
    this.kGroup[k] = group;
    this.kSalt[k] = salt;
    const n = r.pos - tailStart;
    if (n <= TAIL_MAX) {
      // Copied byte by byte: a subarray per key read was garbage (keys of several models alternate).
      for (let i = 0; i < n; i++) this.tail[i] = buf[tailStart + i]!;
      this.tailLen = n;
      this.tailModel = model;
      this.tailRank = rank;
      this.tailGroup = group;
      this.tailSalt = salt;
    }
    return r.pos;
  }

  /** Any other value: scalars read directly, containers decoded by the registry (cached by bytes). */
  private value(buf: Uint8Array, r: MsgpackReader, end: number): unknown {
    const b = buf[r.pos]!;
    const container = (b >= 0x80 && b <= 0x9f) || b === 0xdc || b === 0xdd || b === 0xde || b === 0xdf;
    // Scalars and bin never reach a codec: the plain reader decodes them as the registry would.
    if (!container) return r.value();
    const start = r.pos;
    r.skip();
    const stop = r.pos;
    if (stop > end) return undefined; // the caller sees pos > end and falls back
    const len = stop - start;
    let slot = -1;
    if (len <= CACHE_MAX_BYTES) {
      let h = len;
      for (let i = start; i < stop; i++) h = Math.imul(h, 31) + buf[i]!;
      slot = (h ^ (h >>> 15)) & (CACHE_SLOTS - 1);
      const c = this.cacheBytes[slot];
      if (c !== undefined && c.length === len) {
        let i = 0;
        while (i < len && c[i] === buf[start + i]) i++;
        if (i === len) {
          this.unknownTags += this.cacheUnknown[slot]!;
          return this.cacheValue[slot];
        }
      }
    }
    // {"x": value}: the registry decodes the value at the depth it has in the args map.
    if (this.scratch.length < len + 3) this.scratch = new Uint8Array(Math.max(len + 3, this.scratch.length * 2));
    const s = this.scratch;
    s[0] = 0x81;
    s[1] = 0xa1;
    s[2] = 0x78;
    s.set(buf.subarray(start, stop), 3);
    const d = this.registry.decodeArgs(s, 0, len + 3);
    const v = d.args['x'];
    this.unknownTags += d.unknownTags;
    if (slot >= 0) {
      this.cacheBytes[slot] = buf.slice(start, stop);
      this.cacheValue[slot] = v;
      this.cacheUnknown[slot] = d.unknownTags;
    }
    return v;
  }

  private growKeys(): void {
    const n = this.kRank.length * 2;
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.kHashStart = i32(this.kHashStart);
    this.kHashLen = i32(this.kHashLen);
    this.kRank = f64(this.kRank);
    this.kGroup = f64(this.kGroup);
  }
}

/** a[p, p + n) === b[0, n), four bytes at a time (the caller has checked p + n is in bounds). */
function sameBytes(a: DataView, p: number, b: DataView, n: number): boolean {
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(p + i) !== b.getInt32(i)) return false;
  for (; i < n; i++) if (a.getUint8(p + i) !== b.getUint8(i)) return false;
  return true;
}

function startsWith(buf: Uint8Array, p: number, end: number, prefix: Uint8Array): boolean {
  if (p + prefix.length > end) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[p + i] !== prefix[i]) return false;
  return true;
}

/**
 * The in-place key path assumes the registry decodes the ObjectKey and tuple tags with the stock
 * codecs: checked once by decoding a key list both ways.
 */
function probe(registry: CodecRegistry): boolean {
  try {
    const key = new ObjectKey(new Uint8Array([1, 2, 3, 4, 5]), 'm', 3, 2, 's');
    const w = new MsgpackWriter(256);
    registry.encode(w, { a: [key], b: new Tuple([key]) });
    const bytes = w.bytes().slice();
    const d = registry.decodeArgs(bytes, 0, bytes.length).args;
    const a = d['a'], t = d['b'];
    const same = (k: unknown) =>
      k instanceof ObjectKey && k.modelName === 'm' && k.kvRank === 3 && k.objectGroupId === 2 && k.cacheSalt === 's' && k.chunkHash.join() === '1,2,3,4,5';
    if (!(Array.isArray(a) && a.length === 1 && same(a[0]) && t instanceof Tuple && t.items.length === 1 && same(t.items[0]))) return false;
    // Bytes in another layout are no problem: the walker then decodes them as any other value.
    return true;
  } catch {
    return false;
  }
}

const scanners = new WeakMap<CodecRegistry, IndexArgsScanner>();

/** The scanner for a registry (one per registry and thread: it keeps a decode cache). */
export function indexArgsScanner(registry: CodecRegistry): IndexArgsScanner {
  let s = scanners.get(registry);
  if (!s) scanners.set(registry, (s = new IndexArgsScanner(registry)));
  return s;
}
