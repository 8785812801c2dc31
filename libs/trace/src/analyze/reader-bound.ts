import { i32Column, u32Column, u8Column } from './growable.ts';
import { isPrefixOf, type ListMarker } from './list-marker.ts';

/** Prefetches remembered per key since its last finished write; older ones only lower `dropped`. */
const KEEP = 16;

/**
 * Lower bounds on the read locks a key holds that need no guess about which request a read or a
 * release belonged to (several requests can list identical keys).
 *
 * For a read (enter) of some keys, a lower bound on the read locks its request took, whichever
 * request it was. A request can only read key k if it holds a lock on k, so it listed every key of
 * the read and was submitted after each key's last finished write (a finished write proves the key
 * held no read lock). Per key it keeps the last KEEP prefetches since that write (span, locks),
 * making room by dropping one known to have made its read already (`spent`) before any other, and
 * the fewest locks among those it dropped; the bound is the fewest locks among the kept prefetches
 * of the read's first key that qualify, and the dropped ones (which may or may not qualify). The
 * same lists give every request that can have made a read (`candidates`, through the least-listed
 * key of the read, `pivot`), for reader-matching.ts.
 */
export class ReaderBound {
  /**
   * `spent(s)`: prefetch s is proven to have made its read already (reader-matching.ts): it can
   * make no later read, so it is no candidate, and it is the first to leave a full list.
   */
  constructor(private readonly spent: (s: number) => boolean = () => false) {}

  // Since each key's last finished write: prefetches listing it that took exactly 1 lock, the lock
  // counts of those that took more (sorted; few), its reads and the locks released for it.
  private readonly ones = u32Column();
  private readonly more = new Map<number, number[]>();
  private readonly reads = u32Column();
  private readonly released = u32Column();
  private readonly head = i32Column();
  private readonly tail = i32Column();
  private readonly count = u32Column();
  /** Fewest locks among dropped prefetches of the key (0: none dropped), spent ones included: the floor stays a floor. */
  private readonly dropped = u32Column();
  /** 1 once a prefetch of the key that may still read was dropped: its candidates are no longer known. */
  private readonly forgot = u8Column();
  /** The key's last finished write (call; -1 none). */
  private readonly lastWrite = i32Column();
  private readonly nSpan = i32Column();
  private readonly nLocks = u32Column();
  private readonly nNext = i32Column();
  private free = 0;

  grow(n: number): void {
    if (n <= this.head.length) return;
    const from = this.lastWrite.length;
    for (const c of [this.head, this.tail]) c.resize(n);
    this.count.resize(n);
    this.dropped.resize(n);
    this.forgot.resize(n);
    this.ones.resize(n);
    this.reads.resize(n);
    this.released.resize(n);
    this.lastWrite.resize(n);
    this.lastWrite.data.fill(-1, from, n);
  }

  /** A prefetch (span s, taking `locks` per key) listing key k. */
  add(k: number, s: number, locks: number): void {
    if (locks === 1) this.ones.data[k]!++;
    else {
      const list = this.more.get(k) ?? [];
      let i = list.length;
      while (i > 0 && list[i - 1]! > locks) i--;
      list.splice(i, 0, locks);
      this.more.set(k, list);
    }
    let node: number;
    if (this.free !== 0) {
      node = this.free - 1;
      this.free = this.nNext.data[node]!;
    } else {
      node = this.nSpan.length;
      this.nSpan.push(0);
      this.nLocks.push(0);
      this.nNext.push(0);
    }
    this.nSpan.data[node] = s;
    this.nLocks.data[node] = locks;
    this.nNext.data[node] = 0;
    const t = this.tail.data[k]!;
    if (t === 0) this.head.data[k] = node + 1;
    else this.nNext.data[t - 1] = node + 1;
    this.tail.data[k] = node + 1;
    if (++this.count.data[k]! > KEEP && !this.dropSpent(k)) {
      const h = this.head.data[k]! - 1;
      this.noteDropped(k, this.nLocks.data[h]!);
      this.forgot.data[k] = 1;
      this.head.data[k] = this.nNext.data[h]!;
      this.nNext.data[h] = this.free;
      this.free = h + 1;
      this.count.data[k]!--;
    }
  }

  /** Unlinks the oldest spent prefetch from key k's list, if one is there: it makes room without forgetting. */
  private dropSpent(k: number): boolean {
    let prev = 0;
    for (let v = this.head.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
      if (!this.spent(this.nSpan.data[v - 1]!)) {
        prev = v;
        continue;
      }
      const next = this.nNext.data[v - 1]!;
      if (prev === 0) this.head.data[k] = next;
      else this.nNext.data[prev - 1] = next;
      if (this.tail.data[k] === v) this.tail.data[k] = prev;
      this.noteDropped(k, this.nLocks.data[v - 1]!);
      this.nNext.data[v - 1] = this.free;
      this.free = v;
      this.count.data[k]!--;
      return true;
    }
    return false;
  }

  private noteDropped(k: number, locks: number): void {
    const d = this.dropped.data[k]!;
    if (d === 0 || locks < d) this.dropped.data[k] = locks;
  }

  /** A read of key k. */
  read(k: number): void {
    this.reads.data[k]!++;
  }

  /** A release gave back `locks` on key k. */
  release(k: number, locks: number): void {
    this.released.data[k]! += locks;
  }

  /**
   * Locks key k holds at least: each read since its last write was made by a different prefetch
   * listing it (a request reads once), so together they took at least the smallest lock counts of
   * that many such prefetches; at most what was released since went back to them.
   */
  heldAtLeast(k: number): number {
    let n = this.reads.data[k]!;
    const ones = Math.min(n, this.ones.data[k]!);
    let taken = ones;
    n -= ones;
    for (const L of this.more.get(k) ?? []) {
      if (n === 0) break;
      taken += L;
      n--;
    }
    // More reads than prefetches listing it (a trace that starts mid-run): each took at least one.
    taken += n;
    return taken - this.released.data[k]!;
  }

  /** Key k's write finished at `call`: no earlier prefetch can read it afterwards. */
  written(k: number, call: number): void {
    this.lastWrite.data[k] = call;
    this.ones.data[k] = 0;
    this.more.delete(k);
    this.reads.data[k] = 0;
    this.released.data[k] = 0;
    let v = this.head.data[k]!;
    while (v !== 0) {
      const next = this.nNext.data[v - 1]!;
      this.nNext.data[v - 1] = this.free;
      this.free = v;
      v = next;
    }
    this.head.data[k] = 0;
    this.tail.data[k] = 0;
    this.count.data[k] = 0;
    this.dropped.data[k] = 0;
    this.forgot.data[k] = 0;
  }

  /**
   * Every prefetch that can have made a read of `keys` (it was submitted after each key's last
   * finished write and lists them all; under PREFIX, `prefix(s)`, as the read's leading keys, for
   * such a request reads the prefix it found), into out[0, n); returns n, or -1 when some may have
   * been forgotten (more than KEEP unspent prefetches listed the key looked through): then there is
   * no whole set to give. `out` is written by index, never truncated (see RequestTracker.cands).
   */
  candidates(keys: ArrayLike<number>, startOf: (s: number) => number, keysOf: (s: number) => ArrayLike<number>, prefix: (s: number) => boolean, m: ListMarker, out: number[]): number {
    const k0 = this.pivot(keys);
    if (this.forgot.data[k0] !== 0) return -1;
    const latestWrite = this.latestWrite(keys);
    let n = 0;
    for (let v = this.head.data[k0]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const s = this.nSpan.data[v - 1]!;
      if (this.spent(s) || startOf(s) < latestWrite) continue;
      const listed = keysOf(s);
      if (prefix(s) ? isPrefixOf(keys, listed) : m.coversAll(listed, keys)) out[n++] = s;
    }
    return n;
  }

  /** The call of key k's last finished write (-1 none): prefetches before it no longer count for k. */
  lastWriteOf(k: number): number {
    return this.lastWrite.data[k]!;
  }

  /**
   * The key of a read whose prefetches to look through: the request that made the read listed
   * every key of it, so any key's list holds it (or dropped it). The shortest list that dropped
   * none: a read of a hot key (listed by more than KEEP prefetches since its write) is often
   * also a read of a colder one.
   */
  private pivot(keys: ArrayLike<number>): number {
    let best = keys[0]!;
    let bestCount = this.forgot.data[best] !== 0 ? Infinity : this.count.data[best]!;
    for (let i = 1; i < keys.length && bestCount > 1; i++) {
      const k = keys[i]!;
      if (this.forgot.data[k] === 0 && this.count.data[k]! < bestCount) {
        best = k;
        bestCount = this.count.data[k]!;
      }
    }
    return best;
  }

  private latestWrite(keys: ArrayLike<number>): number {
    let latest = -1;
    for (let i = 0; i < keys.length; i++) latest = Math.max(latest, this.lastWrite.data[keys[i]!]!);
    return latest;
  }

  /**
   * The bound for a read of `keys` at `call` (1 when no prefetch qualifies: the read pairs with
   * nothing, and any lock is at least one). `startOf` and `keysOf` describe spans; `m` is scratch.
   */
  fewestLocks(keys: ArrayLike<number>, startOf: (s: number) => number, keysOf: (s: number) => ArrayLike<number>, m: ListMarker): number {
    // Any key's list holds the read's request (or dropped it): the first key's, as it comes.
    const k0 = keys[0]!;
    const latestWrite = this.latestWrite(keys);
    let least = this.dropped.data[k0]! || Infinity;
    for (let v = this.head.data[k0]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const L = this.nLocks.data[v - 1]!;
      if (L >= least) continue;
      const s = this.nSpan.data[v - 1]!;
      if (startOf(s) < latestWrite) continue;
      if (m.coversAll(keysOf(s), keys)) least = L;
    }
    return least === Infinity ? 1 : Math.max(1, least);
  }
}
