import { createDefaultRegistry, type CodecRegistry } from '../codec/registry.ts';
import { MsgpackDecodeError } from '../format/msgpack-reader.ts';
import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import { FrameSplitter } from '../read/frame-splitter.ts';
import { indexArgsScanner, type IndexArgsSink } from '../read/index-args.ts';
import { MalformedRecordError, QualnameInterner, newEnvelope, readEnvelope } from '../read/record-envelope.ts';
import type { TraceAnalyzer } from './analyzer.ts';
import { CallIndex, partBuffers, type CallIndexPart, type PartCursor, type TraceRecordLike } from './call-index.ts';

/** What a shard made of its bytes: the part, and what it skipped. */
export interface ShardResult {
  part: CallIndexPart;
  /** Frames in the run that are not records (the reader skips the same ones). */
  malformed: number;
  /** Bytes after the last whole frame: the run did not end on a frame boundary. */
  trailingBytes: number;
}

/**
 * One run of a trace's records indexed apart: a worker's share of a sharded index build. It takes
 * the bytes of whole frames from a frame boundary on (no header: the run's first byte is a frame's
 * length prefix), in any chunking, and indexes each record as TraceAnalyzer.addTraceRecord does
 * with what TraceParser makes of the same frame (same envelope, same skipped frames, keys read in
 * place by the same IndexArgsScanner, a call without keys when the arguments do not decode), into
 * a CallIndex of its own: `finish()` hands it over as a CallIndexPart, and the merging index takes
 * the calls back in trace order (CallIndex.openPart/addFromPart). One record object is reused for
 * every frame, so a shard allocates nothing per record besides what the index keeps.
 */
export class IndexShard {
  private readonly index = new CallIndex();
  private readonly splitter: FrameSplitter;
  private readonly interner = new QualnameInterner();
  private readonly env = newEnvelope();
  private readonly rec: FrameRecord;
  private lastBuf: Uint8Array | null = null;
  private lastView: DataView | null = null;
  private malformed = 0;

  /** `baseOffset`: the file offset of the run's first byte (error messages name file offsets). */
  constructor(
    private readonly baseOffset: number,
    registry: CodecRegistry = createDefaultRegistry(),
  ) {
    this.rec = new FrameRecord(registry);
    this.splitter = new FrameSplitter((buf, start, end, offset) => this.onFrame(buf, start, end, offset));
  }

  /** Records indexed so far. */
  get records(): number {
    return this.index.length;
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
  }

  finish(): ShardResult {
    const tail = this.splitter.finish();
    return { part: this.index.toPart(), malformed: this.malformed, trailingBytes: tail === null ? 0 : tail.available + (tail.claimed === null ? 0 : FRAME_PREFIX_BYTES) };
  }

  private onFrame(buf: Uint8Array, start: number, end: number, offset: number): void {
    if (buf !== this.lastBuf) {
      this.lastBuf = buf;
      this.lastView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const fileOffset = this.baseOffset + offset;
    let env;
    try {
      env = readEnvelope(buf, start, end, this.interner, this.lastView!, fileOffset + FRAME_PREFIX_BYTES - start, this.env);
    } catch (e) {
      if (!(e instanceof MalformedRecordError || e instanceof MsgpackDecodeError)) throw e;
      this.malformed++;
      return;
    }
    const r = this.rec;
    r.index = this.index.length;
    r.t_mono = env.t_mono;
    r.qualname = env.qualname;
    r.buf = buf;
    r.argsStart = env.argsStart;
    r.argsEnd = env.argsEnd;
    r.baseOffset = fileOffset + FRAME_PREFIX_BYTES - start;
    this.index.addTraceRecord(r);
  }
}

/** The record under the cursor, as RecordView presents it to the index (one instance, reused). */
class FrameRecord implements TraceRecordLike {
  index = 0;
  t_mono = 0;
  qualname = '';
  buf: Uint8Array = new Uint8Array(0);
  argsStart = 0;
  argsEnd = 0;
  baseOffset = 0;

  constructor(private readonly registry: CodecRegistry) {}

  args(): Record<string, unknown> {
    return this.decodeArgs();
  }
  decodeArgs(): Record<string, unknown> {
    return this.registry.decodeArgs(this.buf, this.argsStart, this.argsEnd, this.baseOffset).args;
  }
  indexArgs(sink: IndexArgsSink): void {
    indexArgsScanner(this.registry).scan(this.buf, this.argsStart, this.argsEnd, this.baseOffset, sink);
  }
}

/** One run of records as planned: its trace, first record index and record count; its part once indexed. */
interface Unit {
  trace: number;
  firstRecord: number;
  count: number;
  part: PartCursor | null;
}

/** Bytes of a part's buffers. */
export function partBytes(p: CallIndexPart): number {
  return partBuffers(p).reduce((n, b) => n + b.byteLength, 0);
}

/**
 * Takes shards' parts back into one analysis in trace order, feeding the request tracker call by
 * call from the parts' columns (no decoding): the calls a one-worker build would have added, with
 * the same ids. Units (runs of consecutive records of one file) are announced in each trace's
 * order as the reading pass plans them (`plan`), their parts arrive in any order (`deliver`), and
 * `advance` adds every call whose part is there, in call order: one trace's units one after
 * another, or, for several traces merged on the wall clock, the trace of each call as the reading
 * pass saw it (`traceOfCall`). A merged trace's t_mono is shifted as mergeTraces shifts it.
 */
export class ShardMerger {
  private readonly units: Unit[] = [];
  /** Per trace, its unit ids in order, and the position of the unit being added. */
  private readonly queues: number[][];
  private readonly heads: number[];
  /** Calls of the unit at each trace's head already added. */
  private readonly done: number[];
  private pos = 0;
  private lastTrace = -1;

  /**
   * `servers`: the traces' names (several: each its own source, CallIndex.setSource); `shifts`:
   * per trace, its t_wall_start minus the merge's origin (0 for one trace).
   */
  constructor(
    private readonly analyzer: TraceAnalyzer,
    private readonly servers: readonly string[] = [''],
    private readonly shifts: readonly number[] = [0],
    /**
     * Called with each part once all its calls are merged; the merger then drops it. Its buffers
     * are not detached to free them sooner: in Chromium, ArrayBuffer.prototype.transfer(0) on a
     * buffer that came by postMessage frees nothing until a collection, and hides the bytes from
     * the collector's pressure (apps/inspector/bench/received-buffers.ts measures it): dropped, they count.
     */
    private readonly release: (part: CallIndexPart, id: number) => void = () => undefined,
  ) {
    this.queues = servers.map(() => []);
    this.heads = servers.map(() => 0);
    this.done = servers.map(() => 0);
  }

  /** Calls added so far. */
  get calls(): number {
    return this.pos;
  }

  /** Announces the next unit of `trace` (its records follow that trace's previous unit's); returns its id. */
  plan(trace: number, firstRecord: number, count: number): number {
    const id = this.units.length;
    this.units.push({ trace, firstRecord, count, part: null });
    this.queues[trace]!.push(id);
    return id;
  }

  /**
   * The part of unit `id`, handed over (dropped once merged, see `release`); a part that does not
   * hold the unit's records is an error (the bytes changed).
   */
  deliver(id: number, part: CallIndexPart): void {
    const u = this.units[id]!;
    if (part.count !== u.count) throw new Error(`a shard indexed ${part.count} records where the reading pass saw ${u.count} (records ${u.firstRecord}..${u.firstRecord + u.count - 1}): the file changed?`);
    u.part = this.analyzer.index.openPart(part);
  }

  /**
   * Adds calls in order up to call `limit` (exclusive), as far as delivered parts allow: with one
   * trace, unit after unit; with several, `traceOfCall[c]` names the trace of call c. Returns the
   * calls added so far.
   */
  advance(limit: number, traceOfCall?: ArrayLike<number>): number {
    const a = this.analyzer;
    const several = this.servers.length > 1;
    while (this.pos < limit) {
      const trace = traceOfCall === undefined ? 0 : traceOfCall[this.pos]!;
      const q = this.queues[trace]!;
      let h = this.heads[trace]!;
      // Skip empty units; stop where the next unit of this trace is not planned or not indexed yet.
      while (h < q.length && this.units[q[h]!]!.count === 0) h = this.heads[trace] = h + 1;
      if (h >= q.length) break;
      const u = this.units[q[h]!]!;
      if (u.part === null) break;
      if (several && trace !== this.lastTrace) a.index.setSource(this.servers[trace]!);
      this.lastTrace = trace;
      const shift = this.shifts[trace] ?? 0;
      // Take the calls of this unit while the order stays on this trace (one trace: the whole unit).
      const cur = u.part;
      let j = this.done[trace]!;
      const end = u.count;
      do {
        a.addFromPart(cur, j, u.firstRecord + j, shift);
        j++;
        this.pos++;
      } while (j < end && this.pos < limit && (traceOfCall === undefined || traceOfCall[this.pos] === trace));
      if (j === end) {
        // Every call of the unit is in: its part goes at once.
        u.part = null;
        this.release(cur.part, q[h]!);
        this.heads[trace] = h + 1;
        this.done[trace] = 0;
      } else this.done[trace] = j;
    }
    return this.pos;
  }
}
