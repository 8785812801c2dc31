/**
 * Membership and position of ids in one short list (a call's key ids), reused for every list: an
 * open-addressing table that is cleared by bumping a generation, so checking "is every key of this
 * read in that request's submit?" costs O(list) with no per-key array over the whole trace.
 */
export class ListMarker {
  private ids = new Int32Array(256);
  private pos = new Int32Array(256);
  private gen = new Uint32Array(256);
  private mask = 255;
  private current = 0;

  /** Marks `list` (positions 0..n-1; a repeated id keeps its first position). */
  mark(list: ArrayLike<number>): void {
    const n = list.length;
    if (n * 2 > this.mask + 1) {
      let cap = this.mask + 1;
      while (cap < n * 2) cap *= 2;
      this.ids = new Int32Array(cap);
      this.pos = new Int32Array(cap);
      this.gen = new Uint32Array(cap);
      this.mask = cap - 1;
      this.current = 0;
    }
    this.current++;
    if (this.current === 0xffff_ffff) {
      this.gen.fill(0);
      this.current = 1;
    }
    for (let i = 0; i < n; i++) {
      const id = list[i]!;
      let s = hash(id) & this.mask;
      while (this.gen[s] === this.current) {
        if (this.ids[s] === id) break;
        s = (s + 1) & this.mask;
      }
      if (this.gen[s] === this.current) continue;
      this.gen[s] = this.current;
      this.ids[s] = id;
      this.pos[s] = i;
    }
  }

  /** Whether `list` holds every id of `ids` (marks `list`). */
  coversAll(list: ArrayLike<number>, ids: ArrayLike<number>): boolean {
    this.mark(list);
    for (let i = 0; i < ids.length; i++) if (this.positionOf(ids[i]!) < 0) return false;
    return true;
  }

  /** Position of `id` in the marked list, or -1. */
  positionOf(id: number): number {
    let s = hash(id) & this.mask;
    while (this.gen[s] === this.current) {
      if (this.ids[s] === id) return this.pos[s]!;
      s = (s + 1) & this.mask;
    }
    return -1;
  }
}

/** Whether `a` is where `b` begins. */
export function isPrefixOf(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length > b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Key ids are dense small integers: mix them so runs of ids spread over the table's low bits. */
function hash(id: number): number {
  let h = Math.imul(id ^ (id >>> 16), 0x45d9f3b);
  h ^= h >>> 16;
  return h >>> 0;
}
