/**
 * Where the recorder's frames go. The recorder hands over whole frames only and never seeks; a
 * sink keeps its destination ending on a frame boundary: a write either lands whole or throws and
 * leaves the destination as it was before the write (no torn frame).
 */
export interface FrameSink {
  write(bytes: Uint8Array): void;
  /** Makes written bytes durable (fsync for files). */
  sync(): void;
  close(): void;
  /** Where the frames go, for messages. */
  readonly path?: string;
  /**
   * Ends the current segment (whole, synced) and starts the next one: later writes go there,
   * beginning with its header. Sinks without it never rotate.
   */
  rotate?(): void;
  /** Why the destination can no longer be written (deleted, moved away), or null while it is fine. */
  health?(): string | null;
}

/** Collects frames in memory (tests, and the inspector's own exports). */
export class MemorySink implements FrameSink {
  readonly chunks: Uint8Array[] = [];
  writes = 0;
  closed = false;
  write(bytes: Uint8Array): void {
    if (this.closed) throw new Error('sink is closed');
    this.chunks.push(bytes.slice());
    this.writes++;
  }
  sync(): void {}
  close(): void {
    this.closed = true;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}
