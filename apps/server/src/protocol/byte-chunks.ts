/**
 * Bytes in the pieces they arrived in (a request body as the socket delivered it), read without
 * joining them first: each object of a framed body is copied once, straight into a buffer of its
 * own size that the storage manager keeps. Joining the body and then copying each object out of it
 * made two copies of every byte written, and the joined bodies were garbage that held the server's
 * RSS far above what L1 stores.
 */
export class ByteChunks {
  readonly length: number;
  /** Offset where each chunk starts. */
  private readonly starts: number[] = [];

  constructor(readonly chunks: readonly Uint8Array[]) {
    let n = 0;
    for (const c of chunks) {
      this.starts.push(n);
      n += c.length;
    }
    this.length = n;
  }

  /** Bytes [start, start + n) in a fresh buffer (a view when they lie in one chunk and `view` is set). */
  copy(start: number, n: number, view = false): Uint8Array {
    if (start < 0 || n < 0 || start + n > this.length) throw new RangeError(`bytes ${start}..${start + n} are outside the ${this.length} received`);
    let i = this.chunkAt(start);
    const first = this.chunks[i]!;
    const off = start - this.starts[i]!;
    if (view && off + n <= first.length) return first.subarray(off, off + n);
    const out = new Uint8Array(n);
    let done = 0;
    let from = off;
    while (done < n) {
      const c = this.chunks[i++]!;
      const take = Math.min(n - done, c.length - from);
      out.set(c.subarray(from, from + take), done);
      done += take;
      from = 0;
    }
    return out;
  }

  /** Index of the chunk holding byte `pos` (binary search over the starts). */
  private chunkAt(pos: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty chunks that share a start with the next one.
    while (lo < this.chunks.length - 1 && pos - this.starts[lo]! >= this.chunks[lo]!.length) lo++;
    return lo;
  }
}
