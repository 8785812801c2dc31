import { createDefaultRegistry, type CodecRegistry } from '../codec/registry.ts';
import { MsgpackDecodeError } from '../format/msgpack-reader.ts';
import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import type { MalformedFrame, TraceHeader, TraceRecord, TruncationReport } from '../model.ts';
import { FrameSplitter } from './frame-splitter.ts';
import { TraceHeaderError, headerErrorForTruncation, parseHeader } from './header.ts';
import { MalformedRecordError, QualnameInterner, newEnvelope, readEnvelope } from './record-envelope.ts';
import { RecordView } from './record-view.ts';

export interface ReadReport {
  /** Good records read so far. */
  records: number;
  /** Record frames skipped because they are not valid Records. */
  malformed: number;
  /** The first `maxMalformedListed` of them, with offsets and reasons. */
  malformedFrames: MalformedFrame[];
  /** Records with at least one unknown tag (only counted when arguments are decoded). */
  argDecodeErrors: number;
  truncated: TruncationReport | null;
  bytesRead: number;
}

export interface ParserOptions {
  registry?: CodecRegistry;
  /** Decode every record's arguments while reading: bad args make the frame malformed, unknown tags are counted. */
  decodeArgs?: boolean;
  /**
   * Check every record's arguments while reading, keeping nothing: the same report as decodeArgs
   * (bad args make the frame malformed, unknown tags are counted) for a walk over the bytes instead
   * of a decode (IndexArgsScanner), so a reader that only reports (`kvtrace info`) runs at the speed
   * of the bytes. A record's args() still decodes on demand. Ignored when decodeArgs is set.
   */
  checkArgs?: boolean;
  maxMalformedListed?: number;
  /**
   * The bytes are whole record frames from this file offset on, no header: one part of a file that
   * is read in parts (summarizeFrames). Records are numbered from 0 within the part.
   */
  recordsFrom?: number;
  /**
   * Reuse record objects: the records a push() returns are refilled by the second push after it
   * that returns records, so a consumer must be done with them by then (TraceReader.batches, where
   * each batch is one such push: once it has asked for the batch after the next). For one pass that
   * copies what it needs (the inspector's reading pass of a big file): a record object a call was
   * most of what that pass allocated, garbage that grew its worker's young generation.
   */
  recycleRecords?: boolean;
}

/** Malformed frames listed with their offsets and reasons, by default. */
export const MAX_LISTED = 1000;

/**
 * The reader's synchronous core: push chunks, get records. TraceReader drives it from a
 * ReadableStream; the inspector's worker drives it directly to avoid an await per record.
 */
export class TraceParser {
  header: TraceHeader | null = null;
  readonly report: ReadReport = { records: 0, malformed: 0, malformedFrames: [], argDecodeErrors: 0, truncated: null, bytesRead: 0 };
  readonly registry: CodecRegistry;
  private readonly splitter: FrameSplitter;
  private readonly interner = new QualnameInterner();
  private readonly env = newEnvelope();
  private out: TraceRecord[] = [];
  private headerError: TraceHeaderError | null = null;
  private lastBuf: Uint8Array | null = null;
  private lastView: DataView | null = null;
  private readonly decodeArgs: boolean;
  private readonly checkArgs: boolean;
  private readonly maxListed: number;
  private readonly recordsOnly: boolean;
  private readonly recycle: boolean;
  /** recycleRecords: the records of the last two pushes (lent out), and those free to refill. */
  private readonly lent: TraceRecord[][] = [];
  private readonly free: RecordView[] = [];

  constructor(options: ParserOptions = {}) {
    this.registry = options.registry ?? createDefaultRegistry();
    this.decodeArgs = options.decodeArgs ?? false;
    this.checkArgs = !this.decodeArgs && (options.checkArgs ?? false);
    this.maxListed = options.maxMalformedListed ?? MAX_LISTED;
    this.recordsOnly = options.recordsFrom !== undefined;
    this.recycle = options.recycleRecords ?? false;
    this.splitter = new FrameSplitter((buf, start, end, offset) => this.onFrame(buf, start, end, offset), options.recordsFrom ?? 0);
  }

  /** Feeds a chunk; returns the records completed by it. Throws TraceHeaderError for a bad header. */
  push(chunk: Uint8Array): TraceRecord[] {
    if (this.headerError) throw this.headerError;
    // The records lent two pushes ago are done with (see recycleRecords).
    if (this.recycle && this.lent.length === 2) for (const r of this.lent.shift()!) if (r instanceof RecordView) this.free.push(r);
    this.report.bytesRead += chunk.length;
    this.splitter.push(chunk);
    if (this.headerError) throw this.headerError;
    const out = this.out;
    this.out = [];
    // Pushes that return no record lend nothing (they are no batch). A copy: the consumer may add
    // to the array it is given (TraceReader's pending batch).
    if (this.recycle && out.length > 0) this.lent.push(out.slice());
    return out;
  }

  /** Ends the stream: records the truncated tail, or throws if the header never completed. */
  finish(): void {
    const tail = this.splitter.finish();
    if (!this.header && !this.recordsOnly) throw this.headerError ?? headerErrorForTruncation(tail, this.report.bytesRead);
    this.report.truncated = tail;
    // The stream is over: recycled records would only keep their chunks alive.
    this.lent.length = 0;
    this.free.length = 0;
  }

  private onFrame(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (this.headerError) return;
    if (!this.header && !this.recordsOnly) {
      try {
        this.header = parseHeader(buf, start, end);
      } catch (e) {
        if (e instanceof TraceHeaderError) this.headerError = e;
        else throw e;
      }
      return;
    }
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    try {
      const env = readEnvelope(buf, start, end, this.interner, this.lastView!, offset + FRAME_PREFIX_BYTES - start, this.env);
      const frameBytes = end - start + FRAME_PREFIX_BYTES;
      const rec =
        this.free.pop()?.refill(this.report.records, offset, frameBytes, env.t_mono, env.t_wall, env.qualname, buf, start, env.argsStart, env.argsEnd) ??
        new RecordView(this.report.records, offset, frameBytes, env.t_mono, env.t_wall, env.qualname, buf, start, env.argsStart, env.argsEnd, this.registry);
      if (this.decodeArgs) {
        rec.args();
        if (rec.unknownTags > 0) this.report.argDecodeErrors++;
      } else if (this.checkArgs) {
        rec.checkArgs();
        if (rec.unknownTags > 0) this.report.argDecodeErrors++;
      }
      this.report.records++;
      this.out.push(rec);
    } catch (e) {
      if (!(e instanceof MalformedRecordError || e instanceof MsgpackDecodeError)) throw e;
      this.report.malformed++;
      if (this.report.malformedFrames.length < this.maxListed)
        this.report.malformedFrames.push({ offset, length: end - start, reason: e.message });
    }
  }
}
