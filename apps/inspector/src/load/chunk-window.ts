/**
 * The bytes of one file read so far that a shard unit may still need: the chunks the reading pass
 * saw (ChunkTap), kept by reference from the start of the unit being planned, so a unit's bytes can
 * go to its shard worker without the file being read a second time (a Blob read goes through the
 * browser process, and several at once slow each other: the reading pass and the shards would).
 */
export class ChunkWindow {
  private chunks: { offset: number; bytes: Uint8Array }[] = [];

  push(offset: number, bytes: Uint8Array): void {
    if (bytes.length > 0) this.chunks.push({ offset, bytes });
  }

  /** Bytes held (references to the reader's chunks, not copies). */
  get held(): number {
    let n = 0;
    for (const c of this.chunks) n += c.bytes.length;
    return n;
  }

  /**
   * A copy of bytes [start, end) of the file, or null when some of them are not held (read before
   * the window started); then forgets every chunk that ends at or before `end`.
   */
  take(start: number, end: number): Uint8Array | null {
    let out: Uint8Array | null = new Uint8Array(end - start);
    let covered = 0;
    for (const c of this.chunks) {
      const s = Math.max(start, c.offset), e = Math.min(end, c.offset + c.bytes.length);
      if (e <= s) continue;
      out.set(c.bytes.subarray(s - c.offset, e - c.offset), s - start);
      covered += e - s;
    }
    if (covered !== end - start) out = null;
    this.drop(end);
    return out;
  }

  /** Forgets every chunk that ends at or before `offset`. */
  drop(offset: number): void {
    let i = 0;
    while (i < this.chunks.length && this.chunks[i]!.offset + this.chunks[i]!.bytes.length <= offset) i++;
    if (i > 0) this.chunks = this.chunks.slice(i);
  }
}
