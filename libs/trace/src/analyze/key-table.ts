import { ObjectKey, toHex, unpackKvRank } from '../model.ts';
import { f64Column, u16Column, u32Column, u8Column } from './growable.ts';
import { StringTable } from './string-table.ts';
import type { KeyInfo } from './types.ts';

/**
 * ObjectKeys interned to dense ids with the identity of `ObjectKey.id` (all five fields, as in
 * LMCache's dataclass equality), stored column-wise: ~60 bytes per distinct key instead of a
 * retained ObjectKey plus a ~100-character id string in a Map. Lookup is an open-addressing table
 * over the columns, so interning never builds the id string.
 */
export class KeyTable {
  readonly models = new StringTable();
  readonly salts = new StringTable();
  private readonly hashPool = u8Column(1 << 16);
  /** hashOff[k]..hashOff[k+1] is key k's chunk hash in hashPool. */
  private readonly hashOff = u32Column();
  /** The first 8 hash bytes, big-endian: hash-prefix search scans these without touching the pool. */
  readonly pfxHi = u32Column();
  readonly pfxLo = u32Column();
  readonly model = u32Column();
  private readonly salt = u32Column();
  private readonly rank = f64Column();
  private readonly group = f64Column();
  /** The trace each key was seen in (several traces: one storage manager each, so one object each). */
  private readonly src = u16Column();
  /** The trace whose keys are interned and looked up now (CallIndex.setSource). */
  source = 0;
  private slots = new Int32Array(1 << 12);
  private lastModelName = '';
  private lastModelId = 0;

  constructor() {
    this.hashOff.push(0);
  }

  get size(): number {
    return this.model.length;
  }

  /** The key id of `k`, adding it if new. */
  intern(k: ObjectKey): number {
    const h = k.chunkHash;
    const found = this.find(h, 0, h.length, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);
    if (found >= 0) return found;
    return this.add(h, 0, h.length, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt, ~found);
  }

  /** Same as intern from the key's fields, its hash being buf[hashStart, hashStart + hashLen) (copied if new). */
  internParts(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): number {
    const found = this.find(buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt);
    if (found >= 0) return found;
    return this.add(buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt, ~found);
  }

  /** The key id of `k`, or -1 when no call touched it. */
  idOf(k: ObjectKey): number {
    const found = this.find(k.chunkHash, 0, k.chunkHash.length, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);
    return found >= 0 ? found : -1;
  }

  /** Same as idOf from the key's parts (e.g. from its JSON form). */
  idOfParts(chunkHash: Uint8Array, modelName: string, kvRank = 0, objectGroupId = 0, cacheSalt = ''): number {
    const found = this.find(chunkHash, 0, chunkHash.length, modelName, kvRank, objectGroupId, cacheSalt);
    return found >= 0 ? found : -1;
  }

  hashBytes(keyId: number): Uint8Array {
    return this.hashPool.data.subarray(this.hashOff.data[keyId]!, this.hashOff.data[keyId + 1]!);
  }
  hashHex(keyId: number): string {
    return toHex(this.hashBytes(keyId));
  }
  modelName(keyId: number): string {
    return this.models.get(this.model.data[keyId]!);
  }

  info(keyId: number, calls: number): KeyInfo {
    if (keyId < 0 || keyId >= this.size) throw new RangeError(`no key ${keyId}`);
    const kvRank = this.rank.data[keyId]!;
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
      objectGroupId: this.group.data[keyId]!,
      cacheSalt: this.salts.get(this.salt.data[keyId]!),
      source: this.src.data[keyId]!,
      calls,
    };
  }

  /** Rebuilds the ObjectKey (for exports and the argument view). */
  objectKey(keyId: number): ObjectKey {
    return new ObjectKey(this.hashBytes(keyId), this.modelName(keyId), this.rank.data[keyId]!, this.group.data[keyId]!, this.salts.get(this.salt.data[keyId]!));
  }

  /**
   * Marks keys whose hex hash starts with `hex` (lower-case hex digits, any length). A linear scan
   * of two Uint32 columns (~2 ms per million keys) instead of a sorted table: nothing to maintain
   * while keys stream in, and prefixes longer than 16 digits are checked against the pool.
   */
  matchHashPrefix(hex: string, marks: Uint8Array): number {
    const L = hex.length;
    let hi = 0, mhi = 0, lo = 0, mlo = 0;
    for (let i = 0; i < Math.min(L, 16); i++) {
      const nib = parseInt(hex[i]!, 16);
      const shift = 28 - 4 * (i % 8);
      if (i < 8) {
        hi |= nib << shift;
        mhi |= 0xf << shift;
      } else {
        lo |= nib << shift;
        mlo |= 0xf << shift;
      }
    }
    hi >>>= 0; mhi >>>= 0; lo >>>= 0; mlo >>>= 0;
    const minBytes = (L + 1) >> 1;
    const ph = this.pfxHi.data, pl = this.pfxLo.data, off = this.hashOff.data, pool = this.hashPool.data;
    let hits = 0;
    for (let k = 0, n = this.size; k < n; k++) {
      if (((ph[k]! & mhi) >>> 0) !== hi || ((pl[k]! & mlo) >>> 0) !== lo) continue;
      const start = off[k]!;
      if (off[k + 1]! - start < minBytes) continue;
      let ok = true;
      for (let i = 16; i < L && ok; i++) {
        const b = pool[start + (i >> 1)]!;
        ok = ((i & 1) === 0 ? b >> 4 : b & 0xf) === parseInt(hex[i]!, 16);
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
    const mc = this.model.data, sc = this.salt.data;
    let hits = 0;
    for (let k = 0, n = this.size; k < n; k++) {
      if ((m !== null && m[mc[k]!] === 1) || (s !== null && s[sc[k]!] === 1)) {
        marks[k] = 1;
        hits++;
      }
    }
    return hits;
  }

  private modelId(name: string, add: boolean): number {
    // Keys of one call nearly always share a model: skip the Map lookup then.
    if (name === this.lastModelName && this.lastModelId > 0) return this.lastModelId;
    const id = add ? this.models.intern(name) : this.models.idOf(name);
    if (id >= 0 && add) {
      this.lastModelName = name;
      this.lastModelId = id;
    }
    return id;
  }

  /** Returns the key id, or ~slot (negative) of the empty slot where it would go. */
  private find(hash: Uint8Array, off: number, len: number, modelName: string, kvRank: number, group: number, saltStr: string): number {
    const model = this.modelId(modelName, false);
    const salt = saltStr === '' ? 0 : this.salts.idOf(saltStr);
    const hi = be32(hash, off, len, 0), lo = be32(hash, off, len, 4);
    const mask = this.slots.length - 1;
    let slot = mix(hi, lo, be32(hash, off, len, Math.max(0, len - 4)), kvRank, group + this.source * 0x10001) & mask;
    const slots = this.slots, ph = this.pfxHi.data, pl = this.pfxLo.data;
    for (;;) {
      const v = slots[slot]!;
      if (v === 0) return ~slot;
      const k = v - 1;
      if (
        ph[k] === hi &&
        pl[k] === lo &&
        this.model.data[k] === model &&
        this.rank.data[k] === kvRank &&
        this.group.data[k] === group &&
        this.salt.data[k] === salt &&
        this.src.data[k] === this.source &&
        this.sameHash(k, hash, off, len)
      )
        return k;
      slot = (slot + 1) & mask;
    }
  }

  /** Compares in place: a subarray per probe would be garbage on the hottest path of loading. */
  private sameHash(k: number, hash: Uint8Array, off: number, len: number): boolean {
    const start = this.hashOff.data[k]!;
    if (this.hashOff.data[k + 1]! - start !== len) return false;
    const pool = this.hashPool.data;
    for (let i = 0; i < len; i++) if (pool[start + i] !== hash[off + i]) return false;
    return true;
  }

  private add(hash: Uint8Array, off: number, len: number, modelName: string, kvRank: number, group: number, saltStr: string, slot: number): number {
    const k = this.size;
    const hi = be32(hash, off, len, 0), lo = be32(hash, off, len, 4);
    const model = this.modelId(modelName, true);
    this.pfxHi.push(hi);
    this.pfxLo.push(lo);
    this.model.push(model);
    this.salt.push(this.salts.intern(saltStr));
    this.rank.push(kvRank);
    this.group.push(group);
    this.src.push(this.source);
    const start = this.hashPool.length;
    this.hashPool.resize(start + len);
    this.hashPool.data.set(off === 0 && len === hash.length ? hash : hash.subarray(off, off + len), start);
    this.hashOff.push(this.hashPool.length);
    this.slots[slot] = k + 1;
    if ((k + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return k;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let k = 0, n = this.size; k < n; k++) {
      const h = this.hashBytes(k);
      let slot = mix(this.pfxHi.data[k]!, this.pfxLo.data[k]!, be32(h, 0, h.length, Math.max(0, h.length - 4)), this.rank.data[k]!, this.group.data[k]! + this.src.data[k]! * 0x10001) & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = k + 1;
    }
  }
}

/** Bytes o..o+3 of the hash b[off, off + len), big-endian; bytes past its end count as 0. */
function be32(b: Uint8Array, off: number, len: number, o: number): number {
  const p = off + o;
  if (o + 4 <= len) return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  const at = (i: number) => (o + i < len ? b[p + i]! : 0);
  return ((at(0) << 24) | (at(1) << 16) | (at(2) << 8) | at(3)) >>> 0;
}

/** Model and salt are left out on purpose: a new model or salt would otherwise force a rehash. */
function mix(a: number, b: number, c: number, rank: number, group: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ c, 0x27d4eb2d);
  h = Math.imul(h ^ (h >>> 13) ^ (rank | 0) ^ Math.imul(group | 0, 0x61c88647), 0x85ebca6b);
  return (h ^ (h >>> 16)) >>> 0;
}
