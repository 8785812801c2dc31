import { createWriteStream, openSync } from 'node:fs';
import type { Writable } from 'node:stream';

/**
 * Writing the output failed. Only a broken pipe (the reader went away: `kvtrace export ... | head`)
 * is a reason to stop quietly; a file that cannot be written is an error the user must see.
 */
export class OutputClosedError extends Error {
  constructor(readonly reason: unknown) {
    super(`output closed: ${reason instanceof Error ? reason.message : String(reason)}`);
    this.name = 'OutputClosedError';
  }

  /** The reader of a pipe went away (EPIPE), as opposed to a write or open failure. */
  get brokenPipe(): boolean {
    return typeof this.reason === 'object' && this.reason !== null && (this.reason as { code?: unknown }).code === 'EPIPE';
  }
}

/**
 * Text out with backpressure: small pieces are joined into ~64 KB writes (one write per record
 * costs more than the formatting), and when the stream's buffer is full we wait for 'drain', so
 * memory stays bounded however large the trace is.
 */
export class TextSink {
  private buf: string[] = [];
  private bufLen = 0;
  private error: unknown = null;
  private readonly onError = (e: unknown): void => {
    this.error ??= e;
  };

  constructor(
    private readonly out: Writable,
    private readonly ownsStream: boolean,
    private readonly flushChars = 64 * 1024,
  ) {
    out.on('error', this.onError);
  }

  /** Opens the file at once, so a path that cannot be written throws here (not later, asynchronously). */
  static toFile(path: string): TextSink {
    return new TextSink(createWriteStream(path, { fd: openSync(path, 'w') }), true);
  }

  static toStdout(): TextSink {
    return new TextSink(process.stdout, false);
  }

  /** Queues text; resolves at once unless a flush had to wait for the stream to drain. */
  write(s: string): Promise<void> | void {
    this.buf.push(s);
    this.bufLen += s.length;
    if (this.bufLen >= this.flushChars) return this.flush();
  }

  async flush(): Promise<void> {
    if (this.error) throw new OutputClosedError(this.error);
    if (this.bufLen === 0) return;
    const chunk = this.buf.join('');
    this.buf = [];
    this.bufLen = 0;
    if (!this.out.write(chunk)) await this.drained();
  }

  async close(): Promise<void> {
    await this.flush();
    this.out.off('error', this.onError);
    if (!this.ownsStream) return;
    await new Promise<void>((resolve, reject) => {
      this.out.once('error', (e) => reject(new OutputClosedError(e)));
      this.out.end(() => resolve());
    });
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.out.off('drain', done);
        this.out.off('error', fail);
        this.out.off('close', done);
        resolve();
      };
      const fail = (e: unknown): void => {
        this.out.off('drain', done);
        this.out.off('close', done);
        reject(new OutputClosedError(e));
      };
      this.out.once('drain', done);
      this.out.once('close', done);
      this.out.once('error', fail);
    }).then(() => {
      if (this.error) throw new OutputClosedError(this.error);
    });
  }
}
