import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import type { TruncationReport } from '../model.ts';

/** The big-endian length prefix of the frame at buf[p]: its body's byte count. */
export function frameLengthAt(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}

/**
 * Where the whole frames that follow one another from buf[p] end within buf[0, n): the cut a
 * FrameSplitter makes, for a reader that hands out runs of frames rather than frames one by one.
 */
export function wholeFramesEnd(buf: Uint8Array, p: number, n: number): number {
  while (n - p >= FRAME_PREFIX_BYTES) {
    const end = p + FRAME_PREFIX_BYTES + frameLengthAt(buf, p);
    if (end > n) break;
    p = end;
  }
  return p;
}

/** Called for each complete frame: body bytes are buf[start, end); `offset` is the prefix's file offset. */
export type FrameSink = (buf: Uint8Array, start: number, end: number, offset: number) => void;

/**
 * Cuts a byte stream, in any chunking, into length-prefixed frames. A frame lying inside one chunk is
 * handed over in place (no copy); a frame spanning chunks is assembled once, when all its bytes have
 * arrived, so memory follows the bytes actually received, never a claimed length.
 */
export class FrameSplitter {
  private parts: Uint8Array[] = [];
  private partsLen = 0;

  /** `offset`: the file offset of the first byte pushed (a part of a file read from the middle). */
  constructor(
    private readonly onFrame: FrameSink,
    /** File offset of the first byte not yet handed out as part of a frame. */
    private offset = 0,
  ) {}

  get consumed(): number {
    return this.offset;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.parts.length === 0) {
      this.scan(chunk, 0);
      return;
    }
    this.parts.push(chunk);
    this.partsLen += chunk.length;
    if (this.partsLen < FRAME_PREFIX_BYTES) return;
    const need = FRAME_PREFIX_BYTES + this.peekLength();
    if (this.partsLen < need) return;
    // The held parts were short of one frame before this chunk (else it would have been handed out):
    // only that frame is assembled, and the rest of the chunk is scanned in place, so a stream of
    // frames that straddle chunk boundaries costs one frame's copy per chunk, not a chunk's.
    const frame = new Uint8Array(need);
    let o = 0;
    for (let i = 0; i < this.parts.length - 1; i++) {
      const p = this.parts[i]!;
      frame.set(p, o);
      o += p.length;
    }
    const take = need - o;
    frame.set(take === chunk.length ? chunk : chunk.subarray(0, take), o);
    this.parts = [];
    this.partsLen = 0;
    const at = this.offset;
    this.offset += need;
    this.onFrame(frame, FRAME_PREFIX_BYTES, need, at);
    if (take < chunk.length) this.scan(chunk, take);
  }

  /** The tail after the last complete frame, as a report; null when the stream ended on a boundary. */
  finish(): TruncationReport | null {
    if (this.partsLen === 0) return null;
    if (this.partsLen < FRAME_PREFIX_BYTES) return { offset: this.offset, claimed: null, available: this.partsLen };
    return { offset: this.offset, claimed: this.peekLength(), available: this.partsLen - FRAME_PREFIX_BYTES };
  }

  private scan(buf: Uint8Array, from: number): void {
    let p = from;
    const n = buf.length;
    while (n - p >= FRAME_PREFIX_BYTES) {
      const len = frameLengthAt(buf, p);
      const end = p + FRAME_PREFIX_BYTES + len;
      if (end > n) break;
      const at = this.offset;
      this.offset += FRAME_PREFIX_BYTES + len;
      this.onFrame(buf, p + FRAME_PREFIX_BYTES, end, at);
      p = end;
    }
    if (p < n) {
      // Keep a copy-free view of the tail; it is merged with later chunks once the frame is complete.
      this.parts = [buf.subarray(p)];
      this.partsLen = n - p;
    }
  }

  private peekLength(): number {
    let v = 0;
    let got = 0;
    for (const part of this.parts) {
      for (let i = 0; i < part.length && got < FRAME_PREFIX_BYTES; i++, got++) v = v * 256 + part[i]!;
      if (got === FRAME_PREFIX_BYTES) break;
    }
    return v;
  }
}
