import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, linkSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { parseSegmentName, segmentFileName } from '../format/segment-name.ts';
import type { FrameSink } from './sink.ts';

/** The write call, replaceable in tests to inject short writes and ENOSPC on a real file. */
export type PositionalWrite = (fd: number, bytes: Uint8Array, offset: number, length: number, position: number) => number;

export interface FileSinkOptions {
  write?: PositionalWrite;
  /** The truncate call, replaceable in tests (a truncation that fails too). */
  truncate?: (fd: number, length: number) => void;
}

interface Segment {
  readonly path: string;
  /** A hidden name in the same directory, until the first write lands (then it is linked as `path`). */
  readonly tmp: string;
  fd: number;
  /** Bytes that are whole frames on disk: every write starts here. */
  committed: number;
  /** A failed write left bytes past `committed` that truncation could not remove yet. */
  torn: boolean;
  published: boolean;
  dev: number;
  ino: number;
}

const fsError = (code: string, message: string): Error => Object.assign(new Error(`${code}: ${message}`), { code });

/**
 * Frames into a file (or a series of segment files) with synchronous positional writes, so a
 * SIGKILL loses only what the recorder had not handed over yet.
 *
 * - Nothing torn: each write starts at the last committed frame boundary; a write that fails
 *   (ENOSPC, EIO) or lands short is truncated back to that boundary before the error is thrown,
 *   and if even that fails, the next write overwrites the torn bytes and truncates after itself.
 * - Nothing empty: a segment is created under a hidden name and linked to its real name only
 *   after its first write (the header) landed, so a crash or a full disk never leaves a 0-byte
 *   `.lct` behind, also in the middle of a rotation.
 * - `health()` notices the file was deleted or moved away (its directory removed, say).
 */
export class FileSink implements FrameSink {
  /** The first segment's path: the trace's name. */
  readonly path: string;
  /** Paths of the segments that exist (linked under their names), in order. */
  readonly segments: string[] = [];
  private seg: Segment | null;
  private seq = 0;
  private closedAt = 0;
  private readonly pwrite: PositionalWrite;
  private readonly ftruncate: (fd: number, length: number) => void;

  constructor(path: string, options: FileSinkOptions = {}) {
    this.path = path;
    this.pwrite = options.write ?? ((fd, b, o, l, p) => writeSync(fd, b, o, l, p));
    this.ftruncate = options.truncate ?? ftruncateSync;
    this.seg = this.openSegment(path);
  }

  /** The segment being written. */
  get currentPath(): string {
    return this.seg?.path ?? this.segments[this.segments.length - 1] ?? this.path;
  }

  /** Bytes of whole frames in the segment being written (what a reader may take now), or in the last one once closed. */
  get committedBytes(): number {
    return this.seg?.committed ?? this.closedAt;
  }

  write(bytes: Uint8Array): void {
    const s = this.seg;
    if (s === null) throw new Error(`trace file ${this.currentPath} is closed`);
    let off = 0;
    try {
      while (off < bytes.length) off += this.pwrite(s.fd, bytes, off, bytes.length - off, s.committed + off);
    } catch (e) {
      if (off > 0 || s.torn) this.truncate(s);
      throw e;
    }
    s.committed += bytes.length;
    if (s.torn) this.truncate(s);
    if (!s.published) this.publish(s);
  }

  sync(): void {
    if (this.seg !== null) fsyncSync(this.seg.fd);
  }

  rotate(): void {
    const s = this.seg;
    if (s === null) throw new Error(`trace file ${this.currentPath} is closed`);
    // The next segment is opened first: if that fails, writing goes on in the current one.
    const name = basename(this.path);
    const next = this.openSegment(join(dirname(this.path), segmentFileName(parseSegmentName(name)?.recording ?? name, this.seq + 1)));
    this.seq++;
    this.seg = next;
    try {
      this.finish(s);
    } catch {
      // The old segment's frames were all written; a failed fsync or close of it must not stop
      // the recording, which goes on in the new segment.
    }
  }

  health(): string | null {
    const s = this.seg;
    if (s === null || !s.published) return null;
    const st = fstatSync(s.fd);
    if (st.nlink === 0) return `the trace file ${s.path} was deleted while recording (its directory removed?)`;
    const there = statSync(s.path, { throwIfNoEntry: false });
    if (!there || there.ino !== s.ino || there.dev !== s.dev) return `the trace file ${s.path} was moved or replaced while recording`;
    return null;
  }

  close(): void {
    const s = this.seg;
    if (s === null) return;
    this.seg = null;
    this.closedAt = s.committed;
    this.finish(s);
  }

  private openSegment(path: string): Segment {
    // Never overwrite a trace (the 'wx' of a plain open); the hidden name is unique to this sink.
    if (existsSync(path)) throw fsError('EEXIST', `file already exists, open '${path}'`);
    const tmp = join(dirname(path), `.${basename(path)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`);
    const fd = openSync(tmp, 'wx');
    const st = fstatSync(fd);
    return { path, tmp, fd, committed: 0, torn: false, published: false, dev: st.dev, ino: st.ino };
  }

  private publish(s: Segment): void {
    try {
      linkSync(s.tmp, s.path);
      unlinkSync(s.tmp);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw fsError('EEXIST', `file already exists, open '${s.path}'`);
      // Filesystems without hard links: rename (the existence check above already ran).
      renameSync(s.tmp, s.path);
    }
    s.published = true;
    this.segments.push(s.path);
  }

  private truncate(s: Segment): void {
    try {
      this.ftruncate(s.fd, s.committed);
      s.torn = false;
    } catch {
      s.torn = true;
    }
  }

  private finish(s: Segment): void {
    try {
      if (s.torn) this.truncate(s);
      if (s.published) fsyncSync(s.fd);
    } finally {
      closeSync(s.fd);
      // A segment that never got its header is not a trace: it leaves no file behind.
      if (!s.published) unlinkSync(s.tmp);
    }
  }
}
