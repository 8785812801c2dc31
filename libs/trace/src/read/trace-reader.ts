import type { TraceHeader, TraceRecord } from '../model.ts';
import { TraceParser, type ParserOptions, type ReadReport } from './trace-parser.ts';

/**
 * Streams a trace from any `ReadableStream<Uint8Array>` (`File.stream()`, `fetch().body`, a Node
 * file stream via `Readable.toWeb`): the header first, then records in batches as chunks arrive.
 * A truncated tail ends reading cleanly (see `report.truncated`); header problems throw
 * TraceHeaderError.
 */
export class TraceReader {
  private readonly parser: TraceParser;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private pending: TraceRecord[] = [];
  private done = false;

  constructor(stream: ReadableStream<Uint8Array>, options: ParserOptions = {}) {
    this.parser = new TraceParser(options);
    this.reader = stream.getReader();
  }

  get report(): ReadReport {
    return this.parser.report;
  }

  async header(): Promise<TraceHeader> {
    while (!this.parser.header) {
      if (!(await this.pump())) break;
    }
    return this.parser.header!;
  }

  /** Records grouped by the chunk that completed them (cheaper than one await per record). */
  async *batches(): AsyncGenerator<TraceRecord[]> {
    await this.header();
    try {
      for (;;) {
        if (this.pending.length > 0) {
          const b = this.pending;
          this.pending = [];
          yield b;
        }
        if (this.done || !(await this.pump())) break;
      }
    } finally {
      if (!this.done) await this.cancel();
    }
  }

  async *records(): AsyncGenerator<TraceRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  /** Reads everything; returns the records (use batches() for large files). */
  async readAll(): Promise<{ header: TraceHeader; records: TraceRecord[]; report: ReadReport }> {
    const header = await this.header();
    const records: TraceRecord[] = [];
    for await (const b of this.batches()) for (const r of b) records.push(r);
    return { header, records, report: this.report };
  }

  async cancel(): Promise<void> {
    this.done = true;
    await this.reader.cancel().catch(() => undefined);
  }

  /** One chunk; false at the end of the stream. */
  private async pump(): Promise<boolean> {
    if (this.done) return false;
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await this.reader.read();
    } catch (e) {
      this.done = true;
      throw e;
    }
    if (result.done) {
      this.done = true;
      this.parser.finish();
      return false;
    }
    const recs = this.parser.push(result.value);
    if (recs.length > 0) {
      if (this.pending.length === 0) this.pending = recs;
      else for (const r of recs) this.pending.push(r);
    }
    return true;
  }
}
