/**
 * Read-scope pairing, once for every consumer (replay, exports, request analysis): records are
 * entry-only and carry no scope id, so an exit is matched to an open enter of the same scope over
 * an identical key list (the traced wrapper records the same captured arguments for both), oldest
 * first. When two scopes over the same keys are open at once the older enter is the best guess for
 * the next exit (LMCache's replay does the same).
 */
import { ObjectKey } from '../model.ts';

const ENTER_SUFFIX = '.__enter__';
const EXIT_SUFFIX = '.__exit__';

/** `...read_prefetched_results.__enter__` → the scope's qualname and which side this is. */
export function scopeSide(qualname: string): { scope: string; side: 'enter' | 'exit' } | null {
  if (qualname.endsWith(ENTER_SUFFIX)) return { scope: qualname.slice(0, -ENTER_SUFFIX.length), side: 'enter' };
  if (qualname.endsWith(EXIT_SUFFIX)) return { scope: qualname.slice(0, -EXIT_SUFFIX.length), side: 'exit' };
  return null;
}

/** `keys` as a list of ObjectKeys, or null when it is anything else (nothing to pair on). */
export function asKeyList(keys: unknown): readonly ObjectKey[] | null {
  if (!Array.isArray(keys)) return null;
  for (let i = 0; i < keys.length; i++) if (!(keys[i] instanceof ObjectKey)) return null;
  return keys as ObjectKey[];
}

/** Every field equal, as LMCache's dataclass equality (the same object, or the same values decoded twice). */
export function sameKey(a: ObjectKey, b: ObjectKey): boolean {
  if (a === b) return true;
  if (a.kvRank !== b.kvRank || a.objectGroupId !== b.objectGroupId || a.modelName !== b.modelName || a.cacheSalt !== b.cacheSalt) return false;
  const x = a.chunkHash;
  const y = b.chunkHash;
  if (x.length !== y.length) return false;
  for (let i = x.length - 1; i >= 0; i--) if (x[i] !== y[i]) return false;
  return true;
}

export function sameKeyList(a: readonly ObjectKey[], b: readonly ObjectKey[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameKey(a[i]!, b[i]!)) return false;
  return true;
}

/**
 * A 32-bit hash of a key list from the hash bytes it already has (chunk hashes are uniform), the
 * list length and the small ints: no hex or id string is built per call. Equal lists hash equal;
 * collisions are settled by sameKeyList.
 */
export function keyListHash(keys: readonly ObjectKey[]): number {
  let h = Math.imul(keys.length ^ 0x9e3779b9, 0x85ebca6b);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const c = k.chunkHash;
    const n = c.length;
    // The first and last four bytes: enough entropy from a real hash, and both ends differ in counters.
    const head = n >= 4 ? (c[0]! << 24) | (c[1]! << 16) | (c[2]! << 8) | c[3]! : n > 0 ? c[0]! : 0;
    const tail = n >= 8 ? (c[n - 4]! << 24) | (c[n - 3]! << 16) | (c[n - 2]! << 8) | c[n - 1]! : n;
    h = Math.imul(h ^ head, 0xcc9e2d51);
    h = Math.imul(h ^ tail ^ k.kvRank ^ (k.objectGroupId << 7) ^ k.modelName.length, 0x1b873593);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

interface Open<T> {
  readonly scope: string;
  readonly keys: readonly ObjectKey[];
  /** The values of this (scope, key list)'s open enters, oldest first, from `head`. */
  readonly values: T[];
  readonly seqs: number[];
  head: number;
}

/**
 * Pairs scope enters with exits, first-in first-out per (scope, key list). What is still open at
 * the end comes back from drain() in enter order, for the caller to close. The value is whatever
 * the caller needs at the exit (a replay token, an open span).
 */
export class ScopePairer<T> {
  private readonly open = new Map<number, Open<T>[]>();
  private seq = 0;
  private count = 0;

  get openCount(): number {
    return this.count;
  }

  enter(scope: string, keys: readonly ObjectKey[], value: T): void {
    const h = keyListHash(keys);
    let bucket = this.open.get(h);
    if (!bucket) this.open.set(h, (bucket = []));
    let o = find(bucket, scope, keys);
    if (!o) bucket.push((o = { scope, keys, values: [], seqs: [], head: 0 }));
    o.values.push(value);
    o.seqs.push(this.seq++);
    this.count++;
  }

  /** The open enter this exit closes, or undefined for an exit without an enter. */
  exit(scope: string, keys: readonly ObjectKey[]): T | undefined {
    const h = keyListHash(keys);
    const bucket = this.open.get(h);
    const o = bucket && find(bucket, scope, keys);
    if (!o) return undefined;
    const value = o.values[o.head]!;
    o.head++;
    this.count--;
    if (o.head === o.values.length) {
      bucket!.splice(bucket!.indexOf(o), 1);
      if (bucket!.length === 0) this.open.delete(h);
    } else if (o.head >= 64 && o.head * 2 >= o.values.length) {
      // A key list that never fully closes: drop the consumed front now and then (amortised O(1)).
      o.values.splice(0, o.head);
      o.seqs.splice(0, o.head);
      o.head = 0;
    }
    return value;
  }

  /** Removes and returns every open enter, oldest first. */
  drain(): T[] {
    const all: { seq: number; value: T }[] = [];
    for (const bucket of this.open.values()) for (const o of bucket) for (let i = o.head; i < o.values.length; i++) all.push({ seq: o.seqs[i]!, value: o.values[i]! });
    this.open.clear();
    this.count = 0;
    return all.sort((a, b) => a.seq - b.seq).map((x) => x.value);
  }
}

function find<T>(bucket: Open<T>[], scope: string, keys: readonly ObjectKey[]): Open<T> | undefined {
  for (const o of bucket) if (o.scope === scope && sameKeyList(o.keys, keys)) return o;
  return undefined;
}
