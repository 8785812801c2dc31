import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { FrameSink } from './sink.ts';

/**
 * Appends frames to a file with synchronous writes: once write() returns the bytes are in the
 * kernel, so a SIGKILL loses nothing already written (only the recorder's bounded batch).
 */
export class FileSink implements FrameSink {
  private fd: number | null;

  constructor(readonly path: string) {
    // 'wx': never truncate an existing trace.
    this.fd = openSync(path, 'wx');
  }

  write(bytes: Uint8Array): void {
    if (this.fd === null) throw new Error(`trace file ${this.path} is closed`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  sync(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    closeSync(fd);
  }
}
