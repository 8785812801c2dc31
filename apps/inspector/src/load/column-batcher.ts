import type { RecordBatch } from '../model/record-store.ts';

/** The clock and timer the batcher uses: the platform's in the worker, a fake one in tests. */
export interface BatchClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: BatchClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface BatcherOptions {
  /** Records of the first batch (time to first row). */
  first: number;
  /** Records of every later batch. */
  size: number;
  /** Batches are posted at most this often while records stream in. */
  flushMs: number;
  /** Several files are open: batches carry each record's file. */
  files?: boolean;
}

/**
 * Records in, column batches out: the first batch as soon as it exists, then at most every
 * `flushMs` (the UI re-renders a few times a second), and full batches at once. Records held back
 * by the rate limit are posted by a timer, not by the next chunk: a live recording that goes quiet
 * sends no next chunk, and its last calls would otherwise never reach the page (issue 13, defect 1:
 * an idle live trace stuck at 11,747 of 11,797 calls).
 */
export class ColumnBatcher {
  private cols: RecordBatch;
  private lastPost = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly post: (batch: RecordBatch) => void,
    private readonly opts: BatcherOptions,
    private readonly clock: BatchClock = realClock,
  ) {
    this.cols = empty(opts.first, opts.files === true);
  }

  /** Records added and not yet posted. */
  get pending(): number {
    return this.cols.count;
  }

  add(tMono: number, method: number, offset: number, frameBytes: number, newMethod: string | null, file = 0): void {
    const c = this.cols;
    const i = c.count++;
    if (c.file) c.file[i] = file;
    c.tMono[i] = tMono;
    c.method[i] = method;
    c.offset[i] = offset;
    c.frameBytes[i] = frameBytes;
    if (newMethod !== null) c.newMethods.push(newMethod);
    if (c.count === c.tMono.length) this.flush();
  }

  /** A chunk of the stream is consumed: post now if the rate allows, else make sure a timer will. */
  endChunk(): void {
    if (this.cols.count === 0) return;
    const wait = this.lastPost + this.opts.flushMs - this.clock.now();
    if (wait <= 0) this.flush();
    else this.timer ??= this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  /** Posts whatever is pending now (the end of the stream, a stop). */
  flush(): void {
    this.cancelTimer();
    // A batch is posted even when empty at the end: it carries the last progress and new methods.
    const c = this.cols;
    this.cols = empty(this.opts.size, this.opts.files === true);
    this.lastPost = this.clock.now();
    this.post(c);
  }

  dispose(): void {
    this.cancelTimer();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

function empty(capacity: number, files: boolean): RecordBatch {
  return {
    count: 0,
    tMono: new Float64Array(capacity),
    method: new Uint16Array(capacity),
    offset: new Float64Array(capacity),
    frameBytes: new Uint32Array(capacity),
    newMethods: [],
    ...(files ? { file: new Uint16Array(capacity) } : {}),
  };
}
