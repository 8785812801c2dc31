/** Where the recorder's frames go. Each write holds whole frames only; the recorder never seeks. */
export interface FrameSink {
  write(bytes: Uint8Array): void;
  /** Makes written bytes durable (fsync for files). */
  sync(): void;
  close(): void;
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
