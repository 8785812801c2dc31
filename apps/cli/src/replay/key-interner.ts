import { ObjectKey, sameKey } from '@kvtrace/trace';

/** Distinct keys kept at most; past it the table starts over (memory stays bounded on any trace). */
const MAX_KEYS = 1 << 20;

/**
 * One ObjectKey object per distinct key of the trace. The storage manager indexes by `key.id`, a
 * string an ObjectKey builds on first use (hex of the hash, then the fields): handing it the same
 * object for the same key makes that a memo hit instead of a new 100-character string per key per
 * call. `fromBytes` finds the key from its fields as the reader found them in the record's bytes,
 * so a key seen before costs no allocation at all. Identity is LMCache's: every field equal.
 */
export class KeyInterner {
  private readonly table = new Map<number, ObjectKey | ObjectKey[]>();
  private size = 0;

  get distinct(): number {
    return this.size;
  }

  /** The canonical object for a decoded key. */
  key(k: ObjectKey): ObjectKey {
    const c = k.chunkHash;
    const h = hashOf(c, 0, c.length, k.modelName, k.kvRank, k.objectGroupId);
    const hit = this.table.get(h);
    if (hit !== undefined) {
      if (!Array.isArray(hit)) {
        if (sameKey(hit, k)) return hit;
      } else for (let i = 0; i < hit.length; i++) if (sameKey(hit[i]!, k)) return hit[i]!;
    }
    this.add(h, hit, k);
    return k;
  }

  /** The canonical object for the key whose hash is buf[start, start + len) (read, not kept). */
  fromBytes(buf: Uint8Array, start: number, len: number, model: string, rank: number, group: number, salt: string): ObjectKey {
    const h = hashOf(buf, start, len, model, rank, group);
    const hit = this.table.get(h);
    if (hit !== undefined) {
      if (!Array.isArray(hit)) {
        if (fieldsEqual(hit, buf, start, len, model, rank, group, salt)) return hit;
      } else for (let i = 0; i < hit.length; i++) if (fieldsEqual(hit[i]!, buf, start, len, model, rank, group, salt)) return hit[i]!;
    }
    // The reader's buffer is reused: the new key owns a copy of its hash.
    const k = new ObjectKey(buf.slice(start, start + len), model, rank, group, salt, true);
    this.add(h, hit, k);
    return k;
  }

  private add(h: number, hit: ObjectKey | ObjectKey[] | undefined, k: ObjectKey): void {
    if (this.size >= MAX_KEYS) {
      this.table.clear();
      this.size = 0;
      hit = undefined;
    }
    if (hit === undefined) this.table.set(h, k);
    else if (Array.isArray(hit)) hit.push(k);
    else this.table.set(h, [hit, k]);
    this.size++;
  }
}

function fieldsEqual(k: ObjectKey, buf: Uint8Array, start: number, len: number, model: string, rank: number, group: number, salt: string): boolean {
  const c = k.chunkHash;
  if (c.length !== len || k.kvRank !== rank || k.objectGroupId !== group || k.modelName !== model || k.cacheSalt !== salt) return false;
  for (let i = len - 1; i >= 0; i--) if (c[i] !== buf[start + i]) return false;
  return true;
}

/** 32 bits from the hash's first and last four bytes and the small fields (chunk hashes are uniform). */
function hashOf(b: Uint8Array, start: number, len: number, model: string, rank: number, group: number): number {
  let h = len >= 4 ? (b[start]! << 24) | (b[start + 1]! << 16) | (b[start + 2]! << 8) | b[start + 3]! : len > 0 ? b[start]! : 0;
  if (len >= 8) {
    const e = start + len;
    h = Math.imul(h ^ ((b[e - 4]! << 24) | (b[e - 3]! << 16) | (b[e - 2]! << 8) | b[e - 1]!), 0x85ebca6b);
  }
  h = Math.imul(h ^ rank ^ (group << 11) ^ model.length ^ (len << 20), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
