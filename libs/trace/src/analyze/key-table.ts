import { ObjectKey, toHex, unpackKvRank } from '../model.ts';
import { f64Column, halfEmptyTableSize, u32Column, u8Column } from './growable.ts';
import { StringTable } from './string-table.ts';
import type { KeyInfo } from './types.ts';

/**
 * A KeyTable's contents as plain arrays (KeyTable.toPart), for moving the keys a shard interned to
 * the thread that merges shards: structured-clone- and transfer-friendly, no ObjectKey.
 */
export interface KeyTablePart {
  size: number;
  hashPool: Uint8Array;
  /** size + 1 offsets into hashPool. */
  hashOff: Uint32Array;
  /** Class of each key: its model, salt, rank, group and source (classModel... by class id). */
  cls: Uint32Array;
  classModel: Uint32Array;
  classSalt: Uint32Array;
  classRank: Float64Array;
  classGroup: Float64Array;
  classSrc: Uint32Array;
  models: string[];
  salts: string[];
}

/**
 * ObjectKeys interned to dense ids with the identity of `ObjectKey.id` (all five fields, as in
 * LMCache's dataclass equality) plus the trace they were seen in (several traces: one storage
 * manager each, so one object each). No JS object per key: the chunk hashes are one byte pool,
 * the rest of a key is its class (model, salt, kv_rank, object_group_id, trace), and the keys of a
 * trace share a handful of classes, so a key costs its hash bytes, a pool offset, a class id and
 * its slots in one open-addressing table over typed arrays (~50 B for a 32-byte hash, against
 * ~90 B as one typed column per field and ~300 B as a retained ObjectKey plus its id in a Map).
 */
export class KeyTable {
  readonly models = new StringTable();
  readonly salts = new StringTable();
  private readonly hashPool = u8Column(1 << 16);
  /** hashOff[k]..hashOff[k+1] is key k's chunk hash in hashPool. */
  private readonly hashOff = u32Column();
  private readonly cls = u32Column();
  // Classes: few per trace (a model, a salt, a rank, a group), found by a linear scan from the last hit.
  private readonly classModel = u32Column(16);
  private readonly classSalt = u32Column(16);
  private readonly classRank = f64Column(16);
  private readonly classGroup = f64Column(16);
  private readonly classSrc = u32Column(16);
  /** The trace whose keys are interned and looked up now (CallIndex.setSource). */
  source = 0;
  private slots = new Int32Array(1 << 12);
  private lastModelName = '';
  private lastModelId = 0;
  private lastClass = -1;
  private readonly classIds = new Map<string, number>();

  constructor() {
    this.hashOff.push(0);
  }

  get size(): number {
    return this.cls.length;
  }

  /** The key id of `k`, adding it if new. */
  intern(k: ObjectKey): number {
    const h = k.chunkHash;
    return this.internParts(h, 0, h.length, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);
  }

  /** Same as intern from the key's fields, its hash being buf[hashStart, hashStart + hashLen) (copied if new). */
  internParts(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): number {
    const model = this.modelId(modelName, true);
    const salt = cacheSalt === '' ? 0 : this.salts.intern(cacheSalt);
    const c = this.classOf(model, salt, kvRank, objectGroupId, this.source, true);
    const found = this.find(buf, hashStart, hashLen, c);
    if (found >= 0) return found;
    return this.add(buf, hashStart, hashLen, c, ~found);
  }

  /** The key id of `k`, or -1 when no call touched it. */
  idOf(k: ObjectKey): number {
    return this.idOfParts(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);
  }

  /** Same as idOf from the key's parts (e.g. from its JSON form). */
  idOfParts(chunkHash: Uint8Array, modelName: string, kvRank = 0, objectGroupId = 0, cacheSalt = ''): number {
    const model = this.modelId(modelName, false);
    const salt = cacheSalt === '' ? 0 : this.salts.idOf(cacheSalt);
    if (model < 0 || salt < 0) return -1;
    const c = this.classOf(model, salt, kvRank, objectGroupId, this.source, false);
    if (c < 0) return -1;
    const found = this.find(chunkHash, 0, chunkHash.length, c);
    return found >= 0 ? found : -1;
  }

  hashBytes(keyId: number): Uint8Array {
    return this.hashPool.data.subarray(this.hashOff.data[keyId]!, this.hashOff.data[keyId + 1]!);
  }
  hashHex(keyId: number): string {
    return toHex(this.hashBytes(keyId));
  }
  modelName(keyId: number): string {
    return this.models.get(this.classModel.data[this.cls.data[keyId]!]!);
  }

  info(keyId: number, calls: number): KeyInfo {
    if (keyId < 0 || keyId >= this.size) throw new RangeError(`no key ${keyId}`);
    const c = this.cls.data[keyId]!;
    const kvRank = this.classRank.data[c]!;
    const r = unpackKvRank(kvRank);
    return {
      keyId,
      hashHex: this.hashHex(keyId),
      modelName: this.modelName(keyId),
      kvRank,
      world: r.world,
      globalRank: r.globalRank,
      localWorld: r.localWorld,
      localRank: r.localRank,
      objectGroupId: this.classGroup.data[c]!,
      cacheSalt: this.salts.get(this.classSalt.data[c]!),
      source: this.classSrc.data[c]!,
      calls,
    };
  }

  /** Rebuilds the ObjectKey (for exports and the argument view). */
  objectKey(keyId: number): ObjectKey {
    const c = this.cls.data[keyId]!;
    return new ObjectKey(this.hashBytes(keyId).slice(), this.modelName(keyId), this.classRank.data[c]!, this.classGroup.data[c]!, this.salts.get(this.classSalt.data[c]!));
  }

  /**
   * Marks keys whose hex hash starts with `hex` (lower-case hex digits, any length). A linear scan
   * of the hash pool (a few ms per million keys) instead of a sorted table: nothing to maintain
   * while keys stream in.
   */
  matchHashPrefix(hex: string, marks: Uint8Array): number {
    const L = hex.length;
    const nib = new Uint8Array(L);
    for (let i = 0; i < L; i++) nib[i] = parseInt(hex[i]!, 16);
    const minBytes = (L + 1) >> 1;
    const off = this.hashOff.data, pool = this.hashPool.data;
    let hits = 0;
    for (let k = 0, n = this.size; k < n; k++) {
      const start = off[k]!;
      if (off[k + 1]! - start < minBytes) continue;
      let ok = true;
      for (let i = 0; i < L; i++) {
        const b = pool[start + (i >> 1)]!;
        if (((i & 1) === 0 ? b >> 4 : b & 0xf) !== nib[i]) {
          ok = false;
          break;
        }
      }
      if (ok) {
        marks[k] = 1;
        hits++;
      }
    }
    return hits;
  }

  /** Marks keys whose model name or cache salt contains `needle` (lower-cased). */
  matchModelOrSalt(needle: string, marks: Uint8Array, models = true, salts = true): number {
    const m = models ? this.models.matchSubstring(needle).marks : null;
    const s = salts ? this.salts.matchSubstring(needle).marks : null;
    if (!(m?.includes(1) || s?.includes(1))) return 0;
    const nc = this.classModel.length;
    const classHit = new Uint8Array(nc);
    for (let c = 0; c < nc; c++) classHit[c] = (m !== null && m[this.classModel.data[c]!] === 1) || (s !== null && s[this.classSalt.data[c]!] === 1) ? 1 : 0;
    const cls = this.cls.data;
    let hits = 0;
    for (let k = 0, n = this.size; k < n; k++) {
      if (classHit[cls[k]!] === 1) {
        marks[k] = 1;
        hits++;
      }
    }
    return hits;
  }

  /** The keys as plain arrays (copies, exact length: transferable). */
  toPart(): KeyTablePart {
    return {
      size: this.size,
      hashPool: this.hashPool.trimmed(),
      hashOff: this.hashOff.trimmed(),
      cls: this.cls.trimmed(),
      classModel: this.classModel.trimmed(),
      classSalt: this.classSalt.trimmed(),
      classRank: this.classRank.trimmed(),
      classGroup: this.classGroup.trimmed(),
      classSrc: this.classSrc.trimmed(),
      models: [...this.models.values],
      salts: [...this.salts.values],
    };
  }

  /**
   * Interns key `k` of a part (another table's, see toPart) in the current source: the id it has
   * here. `modelIds`/`saltIds` map the part's model and salt ids to this table's (-1: not yet),
   * filled as they are first needed.
   */
  internFromPart(p: KeyTablePart, k: number, modelIds: Int32Array, saltIds: Int32Array): number {
    const pc = p.cls[k]!;
    const pm = p.classModel[pc]!, ps = p.classSalt[pc]!;
    let model = modelIds[pm]!;
    if (model < 0) model = modelIds[pm] = this.models.intern(p.models[pm]!);
    let salt = saltIds[ps]!;
    if (salt < 0) salt = saltIds[ps] = this.salts.intern(p.salts[ps]!);
    const c = this.classOf(model, salt, p.classRank[pc]!, p.classGroup[pc]!, this.source, true);
    const start = p.hashOff[k]!, len = p.hashOff[k + 1]! - start;
    const found = this.find(p.hashPool, start, len, c);
    if (found >= 0) return found;
    return this.add(p.hashPool, start, len, c, ~found);
  }

  /**
   * Gives back growth slack and the hash slots (a finished build: only adding and looking a key up
   * by its hash need them, ~0.5 B a call; the first that does rebuilds them).
   */
  trim(): void {
    this.hashPool.trim();
    this.hashOff.trim();
    this.cls.trim();
    this.slots = new Int32Array(0);
  }

  /** Bytes held by the table's arrays. */
  get byteLength(): number {
    return this.hashPool.byteLength + this.hashOff.byteLength + this.cls.byteLength + this.slots.byteLength + this.models.byteLength + this.salts.byteLength;
  }

  private modelId(name: string, add: boolean): number {
    // Keys of one call nearly always share a model: skip the lookup then.
    if (name === this.lastModelName && this.lastModelId > 0) return this.lastModelId;
    const id = add ? this.models.intern(name) : this.models.idOf(name);
    if (id >= 0 && add) {
      this.lastModelName = name;
      this.lastModelId = id;
    }
    return id;
  }

  /** The class id of (model, salt, rank, group, src), added if `add`; -1 when absent. */
  private classOf(model: number, salt: number, rank: number, group: number, src: number, add: boolean): number {
    const m = this.classModel.data, s = this.classSalt.data, r = this.classRank.data, g = this.classGroup.data, t = this.classSrc.data;
    const last = this.lastClass;
    if (last >= 0 && m[last] === model && s[last] === salt && r[last] === rank && g[last] === group && t[last] === src) return last;
    const n = this.classModel.length;
    if (n <= 16) {
      for (let c = 0; c < n; c++) {
        if (m[c] === model && s[c] === salt && r[c] === rank && g[c] === group && t[c] === src) {
          this.lastClass = c;
          return c;
        }
      }
    } else {
      // Many classes (e.g. a group id per layer): a lookup by value instead of a scan.
      const c = this.classIds.get(`${model},${salt},${rank},${group},${src}`);
      if (c !== undefined) {
        this.lastClass = c;
        return c;
      }
    }
    if (!add) return -1;
    this.classIds.set(`${model},${salt},${rank},${group},${src}`, n);
    this.classModel.push(model);
    this.classSalt.push(salt);
    this.classRank.push(rank);
    this.classGroup.push(group);
    this.classSrc.push(src);
    this.lastClass = n;
    return n;
  }

  /** Returns the key id, or ~slot (negative) of the empty slot where it would go. */
  private find(hash: Uint8Array, off: number, len: number, c: number): number {
    // Trimmed: rebuilt at most half full, as add keeps them.
    if (this.slots.length === 0) this.rehash(halfEmptyTableSize(this.size, 1 << 12));
    const mask = this.slots.length - 1;
    let slot = hashKey(hash, off, len, c) & mask;
    const slots = this.slots, cls = this.cls.data, hashOff = this.hashOff.data, pool = this.hashPool.data;
    outer: for (;; slot = (slot + 1) & mask) {
      const v = slots[slot]!;
      if (v === 0) return ~slot;
      const k = v - 1;
      if (cls[k] !== c) continue;
      const start = hashOff[k]!;
      if (hashOff[k + 1]! - start !== len) continue;
      // Compared in place: a subarray per probe would be garbage on the hottest path of loading.
      for (let i = 0; i < len; i++) if (pool[start + i] !== hash[off + i]) continue outer;
      return k;
    }
  }

  private add(hash: Uint8Array, off: number, len: number, c: number, slot: number): number {
    const k = this.size;
    this.cls.push(c);
    const start = this.hashPool.length;
    this.hashPool.resize(start + len);
    const pool = this.hashPool.data;
    for (let i = 0; i < len; i++) pool[start + i] = hash[off + i]!;
    this.hashOff.push(start + len);
    this.slots[slot] = k + 1;
    if ((k + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return k;
  }

  private rehash(capacity: number): void {
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    const pool = this.hashPool.data, off = this.hashOff.data, cls = this.cls.data;
    for (let k = 0, n = this.size; k < n; k++) {
      let slot = hashKey(pool, off[k]!, off[k + 1]! - off[k]!, cls[k]!) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = k + 1;
    }
    this.slots = slots;
  }
}

/**
 * The slot hash of a key: its first, second and last four hash bytes (chunk hashes are uniformly
 * random, so a few bytes spread them) and its class. Bytes past a short hash's end count as 0.
 */
function hashKey(b: Uint8Array, off: number, len: number, c: number): number {
  let h = Math.imul(be32(b, off, len, 0) ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ be32(b, off, len, 4), 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ be32(b, off, len, Math.max(0, len - 4)), 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(c + 1, 0x61c88647), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Bytes o..o+3 of the hash b[off, off + len), big-endian; bytes past its end count as 0. */
function be32(b: Uint8Array, off: number, len: number, o: number): number {
  const p = off + o;
  if (o + 4 <= len) return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) | 0;
  let v = 0;
  for (let i = 0; i < 4; i++) v = (v << 8) | (o + i < len ? b[p + i]! : 0);
  return v | 0;
}
