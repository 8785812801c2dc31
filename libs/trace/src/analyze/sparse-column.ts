import { u32Column } from './growable.ts';

/**
 * A per-call column that is 0 for most calls: only the calls with a value are kept (ascending),
 * with their values. For the external request id, which only submit_prefetch_task carries: in
 * the 1M-call bench file 0.28 of the calls have one, so 8 B each of those is ~2.2 B a call against
 * 4 B a call for a dense column. `get` is a search, from where the last one ended (a scan over the
 * calls in order, what a filter does, reads each entry about once).
 */
export class SparseColumn {
  /** Calls covered (with a value or 0). */
  length = 0;
  private readonly at = u32Column(1 << 12);
  private readonly val = u32Column(1 << 12);
  /** The entry the last get found or stopped at: the next get of a nearby call starts there. */
  private hint = 0;

  push(v: number): void {
    if (v !== 0) {
      this.at.push(this.length);
      this.val.push(v);
    }
    this.length++;
  }

  get(i: number): number {
    const at = this.at.data, n = this.at.length;
    if (n === 0) return 0;
    // Gallop from the hint toward i, then halve: O(log distance) for a call near the last one.
    let lo: number, hi: number;
    const h = Math.min(this.hint, n - 1);
    if (at[h]! <= i) {
      let step = 1;
      lo = h;
      hi = h + 1;
      while (hi < n && at[hi]! <= i) {
        lo = hi;
        hi = Math.min(n, hi + (step *= 2));
      }
    } else {
      let step = 1;
      hi = h;
      lo = h - 1;
      while (lo >= 0 && at[lo]! > i) {
        hi = lo;
        lo = Math.max(-1, lo - (step *= 2));
      }
    }
    // at[lo] <= i < at[hi], where lo = -1 is before the first entry and hi = n after the last.
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (at[mid]! <= i) lo = mid;
      else hi = mid;
    }
    this.hint = Math.max(0, lo);
    return lo >= 0 && at[lo] === i ? this.val.data[lo]! : 0;
  }

  /** Every call's value, 0 where it has none (a shard's part: the merge reads it by call). */
  dense(): Uint32Array {
    const out = new Uint32Array(this.length);
    const at = this.at.data, val = this.val.data;
    for (let k = 0, n = this.at.length; k < n; k++) out[at[k]!] = val[k]!;
    return out;
  }

  /** Gives back the growth slack beyond `slack` of the length (see Column.trim). */
  trim(slack = 0): void {
    this.at.trim(slack);
    this.val.trim(slack);
  }

  get byteLength(): number {
    return this.at.byteLength + this.val.byteLength;
  }
}
