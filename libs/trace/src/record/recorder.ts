import { createDefaultRegistry, type CodecRegistry } from '../codec/registry.ts';
import { encodeConfig, type ConfigValue, type EncodedConfig } from '../format/config-json.ts';
import { encodeHeaderFrame, RecordFrameEncoder } from '../format/frame-writer.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { LEVEL_STORAGE, RECORDER_FLUSH_BYTES, RECORDER_FLUSH_MS, shortMethodName } from '../format/spec.ts';
import type { CallEvent } from '../model.ts';
import type { EventBus, Subscription } from '../publish/bus.ts';
import type { TraceGate } from '../publish/traced.ts';
import { argsViolation } from '../validate/lmcache-violation.ts';
import { violationMessage } from '../validate/violation.ts';
import type { FrameSink } from './sink.ts';

export interface RecorderOptions {
  level?: string;
  registry?: CodecRegistry;
  /** Batch bounds: a frame waits at most flushMs, and at most flushBytes are unwritten. */
  flushBytes?: number;
  flushMs?: number;
  /** Turned off by close(), so no call pays for tracing once the file is gone. */
  gate?: TraceGate;
  /** Monotonic and wall clocks in seconds (tests pin them). */
  clock?: { mono(): number; wall(): number };
  /**
   * One line per change of state: writes start failing, writes succeed again, recording stops
   * (file deleted), the first refused or unencodable record. Never one per record or per flush.
   */
  onNotice?: (message: string) => void;
  /**
   * Start a new segment (`sink.rotate()`) rather than let one pass this many bytes; segments end
   * on frame boundaries and each begins with the header. Needs a sink that rotates.
   */
  maxSegmentBytes?: number;
}

export interface RecorderStats {
  recordsWritten: number;
  /** Bytes written over all segments. */
  bytesWritten: number;
  /** Every record not written: the sum of the four counts below. */
  droppedCount: number;
  /** Records with a value no codec encodes. */
  encodeFailures: number;
  /** Records LMCache's decoder would refuse (validate/): dropped, never written. */
  refused: number;
  /** Records in writes that failed (disk full, I/O error). */
  writeFailures: number;
  /** Events that arrived after the recording closed. */
  afterClose: number;
  /** Segments started (1 without rotation). */
  segments: number;
}

/** `recording`; `failing`: writes fail, records are dropped until one succeeds; `closed` (see closedReason). */
export type RecorderState = 'recording' | 'failing' | 'closed';

const perfClock = {
  mono: () => performance.now() / 1000,
  wall: () => (performance.timeOrigin + performance.now()) / 1000,
};

function describeError(e: unknown): string {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  return code && !message.startsWith(code) ? `${code}: ${message}` : message;
}

/**
 * Turns call events into frames. The header is decided lazily, once (config attached, first
 * record, or close) and written first in every segment; frames are batched up to flushBytes /
 * flushMs and each write holds whole frames; nothing is ever rewritten. A record LMCache could not
 * decode is refused; a failed write drops its records (counted) and the sink leaves the file on
 * its last frame boundary, so the recording resumes cleanly once writes succeed again.
 */
export class Recorder {
  readonly tMonoStart: number;
  readonly tWallStart: number;
  readonly level: string;
  private readonly registry: CodecRegistry;
  private readonly encoder: RecordFrameEncoder;
  private readonly batch: MsgpackWriter;
  /** End offset of each frame in the batch: where a rotation may cut it. */
  private readonly frameEnds: number[] = [];
  private readonly flushBytes: number;
  private readonly flushMs: number;
  private readonly maxSegmentBytes: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private config: EncodedConfig | null = null;
  private headerFrame: Uint8Array | null = null;
  private segmentHasHeader = false;
  private segmentBytes = 0;
  private segmentRecords = 0;
  private closed = false;
  private failing: { problem: string; dropped: number } | null = null;
  private reason: string | null = null;
  private subscription: Subscription | null = null;
  private bus: EventBus<CallEvent> | null = null;
  readonly stats: RecorderStats = { recordsWritten: 0, bytesWritten: 0, droppedCount: 0, encodeFailures: 0, refused: 0, writeFailures: 0, afterClose: 0, segments: 1 };

  constructor(
    private readonly sink: FrameSink,
    private readonly options: RecorderOptions = {},
  ) {
    const clock = options.clock ?? perfClock;
    this.tMonoStart = clock.mono();
    this.tWallStart = clock.wall();
    this.level = options.level ?? LEVEL_STORAGE;
    this.registry = options.registry ?? createDefaultRegistry();
    this.encoder = new RecordFrameEncoder(this.registry);
    this.flushBytes = options.flushBytes ?? RECORDER_FLUSH_BYTES;
    this.flushMs = options.flushMs ?? RECORDER_FLUSH_MS;
    const max = options.maxSegmentBytes;
    if (max !== undefined && (!(max > 0) || !sink.rotate)) throw new RangeError(`maxSegmentBytes needs a positive size and a sink that rotates, got ${max}`);
    this.maxSegmentBytes = max ?? Infinity;
    this.batch = new MsgpackWriter(this.flushBytes + 16 * 1024);
  }

  get droppedCount(): number {
    return this.stats.droppedCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get state(): RecorderState {
    return this.closed ? 'closed' : this.failing ? 'failing' : 'recording';
  }

  /** While failing: the write error; once closed: why, when it was not a plain close(); else null. */
  get problem(): string | null {
    return this.failing?.problem ?? this.reason;
  }

  /**
   * Attaches the storage config and writes the header now. Returns false if the header was already
   * decided (first record came first): it is never rewritten. Throws when the header cannot be
   * written (a recording that cannot start must say so).
   */
  attachConfig(config: ConfigValue | EncodedConfig): boolean {
    if (this.headerFrame !== null || this.closed) return false;
    this.config = isEncoded(config) ? config : encodeConfig(config);
    this.decideHeader();
    this.writeHeader();
    return true;
  }

  subscribe(bus: EventBus<CallEvent>): Subscription {
    this.subscription?.dispose();
    this.bus = bus;
    this.subscription = bus.subscribe(this.onEvent);
    return this.subscription;
  }

  /** Encodes one event into the batch; a refused or unencodable record is dropped and counted. */
  readonly onEvent = (e: CallEvent): void => {
    if (this.closed) {
      this.stats.afterClose++;
      this.stats.droppedCount++;
      return;
    }
    this.decideHeader();
    const bad = argsViolation(e.argNames, e.args);
    if (bad !== null) {
      this.stats.refused++;
      this.stats.droppedCount++;
      if (this.stats.refused === 1)
        this.notice(`refused a ${shortMethodName(e.qualname)} record LMCache could not decode (${violationMessage(bad)}); such records are dropped and counted, never written`);
      return;
    }
    const tMono = e.tMono - this.tMonoStart;
    try {
      this.encoder.append(this.batch, tMono > 0 ? tMono : 0, e.tWall, e.qualname, e.argNames, e.args);
    } catch (err) {
      this.stats.encodeFailures++;
      this.stats.droppedCount++;
      if (this.stats.encodeFailures === 1) this.notice(`dropped a ${shortMethodName(e.qualname)} record that cannot be encoded (${describeError(err)}); such records are counted`);
      return;
    }
    this.frameEnds.push(this.batch.pos);
    if (this.batch.pos >= this.flushBytes) this.flush();
    else if (this.timer === null) this.timer = setTimeout(this.onTimer, this.flushMs);
  };

  /**
   * Checks the destination now (flushes do it too): a deleted or moved trace file stops the
   * recording, saying so, instead of being written on unseen. Returns the state after the check.
   */
  verify(): RecorderState {
    if (!this.closed) {
      const gone = this.checkHealth();
      if (gone !== null) this.stop(gone, this.frameEnds.length);
    }
    return this.state;
  }

  /** Writes the pending batch: whole frames, cut into segments when rotating. */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const ends = this.frameEnds;
    if (ends.length === 0 || this.closed) return;
    const gone = this.checkHealth();
    if (gone !== null) {
      this.stop(gone, ends.length);
      return;
    }
    const bytes = this.batch.bytes();
    let i = 0;
    let start = 0;
    while (i < ends.length) {
      let j = ends.length;
      if (this.maxSegmentBytes !== Infinity) {
        const room = this.maxSegmentBytes - this.segmentBytes - (this.segmentHasHeader ? 0 : this.headerFrame!.length);
        j = i;
        while (j < ends.length && ends[j]! - start <= room) j++;
        if (j === i) {
          // A segment holds at least one record, even one larger than the limit on its own.
          if (this.segmentRecords === 0) j = i + 1;
          else if (this.rotate(ends.length - i)) continue;
          else break;
        }
      }
      const end = ends[j - 1]!;
      this.writeFrames(bytes.subarray(start, end), j - i);
      start = end;
      i = j;
    }
    ends.length = 0;
    this.batch.reset();
  }

  /** Drains the bus, flushes, fsyncs, turns the gate off and closes the sink. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.options.gate) this.options.gate.enabled = false;
    this.bus?.flush();
    this.subscription?.dispose();
    this.subscription = null;
    this.decideHeader();
    this.flush();
    if (this.closed) return; // flush found the file gone and stopped
    // A header-only file is still a valid trace (FORMAT.md: the header is written at close at the latest).
    if (!this.segmentHasHeader) this.writeFrames(new Uint8Array(0), 0);
    if (this.failing) this.reason = `closed while writes were failing (${this.failing.problem}); ${this.failing.dropped} records were dropped meanwhile`;
    this.closed = true;
    this.failing = null;
    try {
      this.sink.sync();
    } catch (err) {
      this.notice(`the trace could not be synced at close: ${describeError(err)}`);
    }
    try {
      this.sink.close();
    } catch (err) {
      this.notice(`the trace could not be closed: ${describeError(err)}`);
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.flush();
  };

  private decideHeader(): void {
    this.headerFrame ??= encodeHeaderFrame(
      {
        level: this.level,
        t_mono_start: this.tMonoStart,
        t_wall_start: this.tWallStart,
        sm_config_json: this.config?.json ?? '',
        sm_config_digest: this.config?.digest ?? '',
      },
      this.registry,
    );
  }

  /** The header of the current segment, now; throws when it cannot be written. */
  private writeHeader(): void {
    const h = this.headerFrame!;
    this.sink.write(h);
    this.segmentHasHeader = true;
    this.segmentBytes += h.length;
    this.stats.bytesWritten += h.length;
  }

  /** One write of whole frames (after the segment's header if it still lacks one); a failure drops them, counted. */
  private writeFrames(bytes: Uint8Array, frames: number): void {
    try {
      if (!this.segmentHasHeader) this.writeHeader();
      if (bytes.length > 0) this.sink.write(bytes);
    } catch (err) {
      this.stats.writeFailures += frames;
      this.stats.droppedCount += frames;
      if (this.failing) this.failing.dropped += frames;
      else {
        this.failing = { problem: describeError(err), dropped: frames };
        this.notice(`writes to ${this.where()} fail (${this.failing.problem}): records are dropped and counted until a write succeeds; the file keeps ending on a whole frame`);
      }
      return;
    }
    this.stats.recordsWritten += frames;
    this.stats.bytesWritten += bytes.length;
    this.segmentBytes += bytes.length;
    this.segmentRecords += frames;
    if (this.failing) {
      this.notice(`writes to ${this.where()} succeed again; ${this.failing.dropped} records were dropped while they failed`);
      this.failing = null;
    }
  }

  /** Starts the next segment; false (its records dropped and counted) when that fails. */
  private rotate(pendingFrames: number): boolean {
    try {
      this.sink.rotate!();
    } catch (err) {
      this.stats.writeFailures += pendingFrames;
      this.stats.droppedCount += pendingFrames;
      if (this.failing) this.failing.dropped += pendingFrames;
      else {
        this.failing = { problem: `cannot start the next segment: ${describeError(err)}`, dropped: pendingFrames };
        this.notice(`trace rotation failed (${this.failing.problem}): records are dropped and counted until it succeeds`);
      }
      return false;
    }
    this.stats.segments++;
    this.segmentHasHeader = false;
    this.segmentBytes = 0;
    this.segmentRecords = 0;
    return true;
  }

  private checkHealth(): string | null {
    try {
      return this.sink.health?.() ?? null;
    } catch (err) {
      return `the trace file cannot be checked: ${describeError(err)}`;
    }
  }

  /** Ends the recording for a reason it cannot recover from (the file is gone): said once, then closed. */
  private stop(reason: string, pendingFrames: number): void {
    this.stats.writeFailures += pendingFrames;
    this.stats.droppedCount += pendingFrames;
    this.frameEnds.length = 0;
    this.batch.reset();
    this.closed = true;
    this.failing = null;
    this.reason = reason;
    if (this.options.gate) this.options.gate.enabled = false;
    this.subscription?.dispose();
    this.subscription = null;
    this.notice(`recording stopped: ${reason}; ${this.stats.recordsWritten} records had been written to it, ${pendingFrames} pending ones were dropped`);
    try {
      this.sink.close();
    } catch {
      // Closing a file that is gone can only fail in ways that change nothing.
    }
  }

  private where(): string {
    return this.sink.path ?? 'the trace sink';
  }

  private notice(message: string): void {
    this.options.onNotice?.(message);
  }
}

function isEncoded(c: ConfigValue | EncodedConfig): c is EncodedConfig {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 2 && typeof (c as EncodedConfig).json === 'string' && typeof (c as EncodedConfig).digest === 'string';
}
