import { Buffer } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createDefaultRegistry, frameLengthAt, FrameSplitter, FRAME_PREFIX_BYTES, parseHeader, summarizeFrames, summaryOfParts, TraceHeaderError, type FramesFigures, type TraceHeader, type TraceSummary, type TruncationReport, wholeFramesEnd } from '@kvtrace/trace';

/** One part for a worker: the frames in buf[start, end), the first at file offset `offset`. */
export interface PartRequest {
  seq: number;
  buf: ArrayBuffer;
  start: number;
  end: number;
  offset: number;
}
/** A part's figures, and its buffer given back for the next read. */
export type PartAnswer = { seq: number; buf: ArrayBuffer; figures: FramesFigures } | { seq: number; buf: ArrayBuffer; error: string };

export interface PartsOptions {
  /** Threads that check records, this one included (default: the cores, at most 8); 1: no worker. */
  threads?: number;
  /** Bytes read per part (default 8 MiB); a part always ends on a frame boundary. */
  partBytes?: number;
  onBytes?: (bytesRead: number) => void;
  /** The summary's `file` (default: the path) and its segment's name (default: the file name). */
  file?: string;
  segment?: string;
  /** Starts a worker (default: summary-worker.ts under tsx); tests give one that fails. */
  startWorker?: () => Worker;
}

const PART_BYTES = 8 << 20;
/** Room in front of each block for the start of a frame carried from the block before. */
const CARRY_ROOM = 1 << 20;
/** Reads in flight ahead of this thread. */
const READS_AHEAD = 2;
/** Parts queued per worker: one being checked, one waiting, so no worker idles while this thread reads. */
const QUEUED_PER_WORKER = 2;

/** Threads worth starting for a file of this size: a worker costs about half a second to start under tsx. */
export function partThreads(bytes: number): number {
  return bytes < 256 << 20 ? 1 : Math.min(8, availableParallelism());
}

/**
 * One trace file summarised by several threads, to the same summary summarizeRecording gives for
 * it: this thread reads the file and cuts it into parts of whole frames (the frame lengths say where
 * each frame ends, exactly as a serial reader splits the stream, damaged frames included), workers
 * check each part's records (the check, not the read, is what costs), and the parts' figures are
 * merged in file order. A truncated tail is found here, as the serial reader finds it. Resolves
 * null when the file's first frame is not a good header: the serial reader then says why.
 */
export async function summarizeFileInParts(path: string, o: PartsOptions = {}): Promise<TraceSummary | null> {
  const fh = await open(path, 'r');
  const workers: Worker[] = [];
  const partBytes = o.partBytes ?? PART_BYTES;
  const blocks = new BlockReader(fh, partBytes);
  try {
    let header: TraceHeader | null = null;
    // `carry` holds the bytes after the last whole frame read, which starts at file offset `carryAt`.
    let carry: Uint8Array = new Uint8Array(0);
    let carryAt = 0;
    let truncated: TruncationReport | null = null;
    const threads = Math.max(1, o.threads ?? Math.min(8, availableParallelism()));
    const answers: (FramesFigures | undefined)[] = [];
    let failure: string | null = null;
    // Parts queued at each worker; this thread checks a part itself when every queue is full (and
    // so while the workers start): on two cores, one worker and this thread, not two workers
    // fighting this thread for the cores.
    const queued: number[] = [];
    let wake: (() => void) | null = null;
    for (let i = 0; i < threads - 1; i++) {
      const w = (o.startWorker ?? startWorker)();
      queued.push(0);
      w.on('message', (a: PartAnswer) => {
        blocks.release(a.buf);
        if ('error' in a) failure ??= a.error;
        else answers[a.seq] = a.figures;
        queued[i]!--;
        wake?.();
      });
      w.on('error', (e) => {
        failure ??= e.message;
        wake?.();
      });
      workers.push(w);
    }
    const registry = createDefaultRegistry();
    const settle = () => new Promise<void>((r) => (wake = r));
    let seq = 0;
    /** Hands whole frames buf[start, end) (the first at file offset `offset`) to a worker, or checks them here. */
    const check = async (buf: Uint8Array<ArrayBuffer>, start: number, end: number, offset: number) => {
      let w = 0;
      for (let i = 1; i < queued.length; i++) if (queued[i]! < queued[w]!) w = i;
      if (queued.length > 0 && queued[w]! < QUEUED_PER_WORKER) {
        const req: PartRequest = { seq: seq++, buf: buf.buffer, start, end, offset };
        queued[w]!++;
        workers[w]!.postMessage(req, [buf.buffer]);
      } else {
        answers[seq++] = summarizeFrames(buf.subarray(start, end), offset, { registry });
        blocks.release(buf.buffer);
        // Let the workers' answers in between parts checked here.
        await new Promise<void>((r) => setImmediate(r));
      }
    };
    // A frame longer than a block's room for a carried start is assembled in a buffer of its own,
    // each byte copied once (growing the carry block by block would copy it over and over).
    let big: { buf: Uint8Array<ArrayBuffer>; filled: number; at: number } | null = null;
    for (;;) {
      if (big === null && header !== null && carry.length >= FRAME_PREFIX_BYTES && FRAME_PREFIX_BYTES + frameLengthAt(carry, 0) > CARRY_ROOM) {
        const frameBytes = FRAME_PREFIX_BYTES + frameLengthAt(carry, 0);
        const size = (await fh.stat()).size;
        // A length that runs past the end of the file is a truncated tail (it may be a damaged
        // length): the serial reader reports it so too; reading on would only hold bytes.
        if (carryAt + frameBytes > size) {
          truncated = { offset: carryAt, claimed: frameBytes - FRAME_PREFIX_BYTES, available: size - carryAt - FRAME_PREFIX_BYTES };
          carry = new Uint8Array(0);
          break;
        }
        big = { buf: new Uint8Array(Buffer.allocUnsafeSlow(frameBytes).buffer as ArrayBuffer), filled: carry.length, at: carryAt };
        big.buf.set(carry);
        carry = new Uint8Array(0);
      }
      const block = await blocks.next();
      if (block === null) break;
      let from = block.start;
      if (big !== null) {
        const take = Math.min(big.buf.length - big.filled, block.end - block.start);
        big.buf.set(block.buf.subarray(block.start, block.start + take), big.filled);
        big.filled += take;
        from += take;
        if (big.filled < big.buf.length) {
          blocks.release(block.buf.buffer);
          o.onBytes?.(blocks.consumed);
          continue;
        }
        if (failure !== null) break;
        // Before check(): a buffer handed to a worker is transferred, and reads as empty here.
        carryAt = big.at + big.buf.length;
        await check(big.buf, 0, big.buf.length, big.at);
        big = null;
      }
      // The carried start of a frame goes just before the block's bytes (each buffer keeps room for it).
      const { buf, start: at, end: n } = withCarry({ ...block, start: from }, carry);
      if (buf !== block.buf) blocks.release(block.buf.buffer);
      // buf[at] is the first byte not yet in a whole frame, at file offset carryAt.
      const base = carryAt - at;
      let start = at;
      if (header === null) {
        if (n - at < FRAME_PREFIX_BYTES || at + FRAME_PREFIX_BYTES + frameLengthAt(buf, at) > n) {
          carry = buf.slice(at, n);
          blocks.release(buf.buffer);
          continue;
        }
        const end = at + FRAME_PREFIX_BYTES + frameLengthAt(buf, at);
        try {
          header = parseHeader(buf, at + FRAME_PREFIX_BYTES, end);
        } catch (e) {
          if (e instanceof TraceHeaderError) return null;
          throw e;
        }
        start = end;
      }
      const p = wholeFramesEnd(buf, start, n);
      carry = buf.slice(p, n);
      carryAt = base + p;
      if (failure !== null) break;
      if (p > start) await check(buf, start, p, base + start);
      else blocks.release(buf.buffer);
      o.onBytes?.(blocks.consumed);
    }
    // The file ended inside a frame assembled on its own: that is its truncated tail.
    if (big !== null) carry = big.buf.subarray(0, big.filled);
    while (queued.some((n) => n > 0) && failure === null) await settle();
    if (failure !== null) throw new Error(`a worker failed: ${failure}`);
    if (header === null) return null;
    if (truncated === null && carry.length > 0) {
      // The bytes after the last whole frame, reported as the serial reader's splitter reports them.
      const tail = new FrameSplitter(() => undefined, carryAt);
      tail.push(carry);
      truncated = tail.finish();
    }
    return summaryOfParts(o.file ?? path, o.segment ?? basename(path), header, answers as FramesFigures[], truncated, blocks.consumed);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    await blocks.settled();
    await fh.close();
  }
}

/** A block of the file: its bytes are buf[start, end), the first at file offset `at`. */
interface Block {
  buf: Uint8Array<ArrayBuffer>;
  start: number;
  end: number;
  at: number;
}

/**
 * The file in blocks of `blockBytes`, READS_AHEAD reads in flight so a cold disk never waits for
 * this thread. Each buffer keeps CARRY_ROOM bytes in front of its block for the start of a frame
 * carried from the block before, and comes back (release) once its part is checked: fresh 8 MiB
 * buffers cost more (page faults, unmapping) than reading into them did.
 */
class BlockReader {
  /** File offset after the last block handed out. */
  consumed = 0;
  private pos = 0;
  private ended = false;
  private readonly ahead: Promise<Block | null>[] = [];
  private readonly free: ArrayBuffer[] = [];
  private readonly bufBytes: number;
  private eof = false;

  constructor(
    private readonly fh: FileHandle,
    private readonly blockBytes: number,
  ) {
    this.bufBytes = CARRY_ROOM + blockBytes;
  }

  /** The next block in file order; null after the first short one (the end of the file when it was read). */
  async next(): Promise<Block | null> {
    if (this.ended) return null;
    while (this.ahead.length < READS_AHEAD + 1 && !this.eof) this.ahead.push(this.read());
    const b = (await this.ahead.shift()) ?? null;
    // A file still being written may have grown since: a read past a short one would leave a gap.
    if (b === null || b.end - b.start < this.blockBytes) this.ended = true;
    if (b !== null) this.consumed = b.at + b.end - b.start;
    return b;
  }

  release(buf: ArrayBuffer): void {
    if (buf.byteLength === this.bufBytes) this.free.push(buf);
  }

  /** Waits for the reads still in flight (before the file is closed). */
  async settled(): Promise<void> {
    await Promise.allSettled(this.ahead.splice(0));
  }

  private async read(): Promise<Block | null> {
    const at = this.pos;
    this.pos += this.blockBytes;
    // Not zero-filled (every byte handed on is read first), and its own ArrayBuffer, to transfer.
    const buf = new Uint8Array(this.free.pop() ?? (Buffer.allocUnsafeSlow(this.bufBytes).buffer as ArrayBuffer));
    const { bytesRead } = await this.fh.read(buf, CARRY_ROOM, this.blockBytes, at);
    if (bytesRead < this.blockBytes) this.eof = true;
    if (bytesRead === 0) {
      this.release(buf.buffer);
      return null;
    }
    return { buf, start: CARRY_ROOM, end: CARRY_ROOM + bytesRead, at };
  }
}

/** The block with `carry` just before its bytes: in its own buffer when there is room, else in a new one. */
function withCarry(b: Block, carry: Uint8Array): { buf: Uint8Array<ArrayBuffer>; start: number; end: number } {
  if (carry.length <= b.start) {
    b.buf.set(carry, b.start - carry.length);
    return { buf: b.buf, start: b.start - carry.length, end: b.end };
  }
  const buf = new Uint8Array(Buffer.allocUnsafeSlow(carry.length + b.end - b.start).buffer as ArrayBuffer);
  buf.set(carry);
  buf.set(b.buf.subarray(b.start, b.end), carry.length);
  return { buf, start: 0, end: buf.length };
}

/**
 * A worker on summary-worker.ts. Node 20's workers do not inherit tsx's loader: the worker registers
 * it first, then imports the TypeScript entry (messages wait in its port until it listens).
 */
function startWorker(): Worker {
  const entry = new URL('./summary-worker.ts', import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { resourceLimits: { maxYoungGenerationSizeMb: 48 } });
}
