import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import type { CodecRegistry } from '../codec/registry.ts';
import type { TraceRecord } from '../model.ts';
import { indexArgsScanner, type IndexArgsSink } from './index-args.ts';

/** A record whose arguments stay as bytes until args() is called. */
export class RecordView implements TraceRecord {
  private decoded: Record<string, unknown> | null = null;
  unknownTags = 0;

  // Not readonly only so that refill() can reuse the object (a parser's recycleRecords).
  constructor(
    public index: number,
    public offset: number,
    public frameBytes: number,
    public t_mono: number,
    public t_wall: number,
    public qualname: string,
    private buf: Uint8Array,
    /** Index in buf of the frame body's first byte (file offset + 4). */
    private bodyStart: number,
    private argsStart: number,
    private argsEnd: number,
    private readonly registry: CodecRegistry,
  ) {}

  /** Makes this the view of another record (the constructor's arguments but the registry); returns it. */
  refill(index: number, offset: number, frameBytes: number, t_mono: number, t_wall: number, qualname: string, buf: Uint8Array, bodyStart: number, argsStart: number, argsEnd: number): this {
    this.index = index;
    this.offset = offset;
    this.frameBytes = frameBytes;
    this.t_mono = t_mono;
    this.t_wall = t_wall;
    this.qualname = qualname;
    this.buf = buf;
    this.bodyStart = bodyStart;
    this.argsStart = argsStart;
    this.argsEnd = argsEnd;
    this.decoded = null;
    this.unknownTags = 0;
    return this;
  }

  /** Byte offset in the file where the args map starts (for Range reads by viewers). */
  get argsOffset(): number {
    return this.offset + FRAME_PREFIX_BYTES + (this.argsStart - this.bodyStart);
  }

  /**
   * Decodes the arguments without keeping them (for one pass over a big trace: index, export),
   * so memory does not grow with the trace. Counts unknown tags like args().
   */
  decodeArgs(): Record<string, unknown> {
    if (this.decoded) return this.decoded;
    const d = this.registry.decodeArgs(this.buf, this.argsStart, this.argsEnd, this.offset + FRAME_PREFIX_BYTES - this.bodyStart);
    this.unknownTags = d.unknownTags;
    return d.args;
  }

  /**
   * Walks the arguments for an index without building them (ObjectKeys read in place; see
   * IndexArgsScanner): the sink sees what `for (const name in decodeArgs())` would, and malformed
   * args throw as decodeArgs() does. Counts unknown tags like args(); keeps nothing.
   */
  indexArgs(sink: IndexArgsSink): void {
    if (this.decoded) {
      for (const name in this.decoded) sink.value(name, this.decoded[name]);
      return;
    }
    this.unknownTags = indexArgsScanner(this.registry).scan(this.buf, this.argsStart, this.argsEnd, this.offset + FRAME_PREFIX_BYTES - this.bodyStart, sink);
  }

  /**
   * Checks the arguments as args() would (same errors, same unknown-tag count) without building or
   * keeping them: the cost of a walk over the bytes, for a reader that only reports on a trace.
   */
  checkArgs(): void {
    if (this.decoded) return;
    this.unknownTags = indexArgsScanner(this.registry).check(this.buf, this.argsStart, this.argsEnd, this.offset + FRAME_PREFIX_BYTES - this.bodyStart);
  }

  args(): Record<string, unknown> {
    if (!this.decoded) {
      const d = this.registry.decodeArgs(this.buf, this.argsStart, this.argsEnd, this.offset + FRAME_PREFIX_BYTES - this.bodyStart);
      this.decoded = d.args;
      this.unknownTags = d.unknownTags;
    }
    return this.decoded;
  }
}
