import { createDefaultRegistry, type CodecRegistry } from '../codec/registry.ts';
import { encodeConfig, type ConfigValue, type EncodedConfig } from '../format/config-json.ts';
import { encodeHeaderFrame, RecordFrameEncoder } from '../format/frame-writer.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { LEVEL_STORAGE, RECORDER_FLUSH_BYTES, RECORDER_FLUSH_MS } from '../format/spec.ts';
import type { CallEvent } from '../model.ts';
import type { EventBus, Subscription } from '../publish/bus.ts';
import type { TraceGate } from '../publish/traced.ts';
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
  onError?: (error: unknown) => void;
}

export interface RecorderStats {
  recordsWritten: number;
  bytesWritten: number;
  droppedCount: number;
  encodeFailures: number;
  writeFailures: number;
  afterClose: number;
}

const perfClock = {
  mono: () => performance.now() / 1000,
  wall: () => (performance.timeOrigin + performance.now()) / 1000,
};

/**
 * Turns call events into frames. The header is written lazily, once (config attached, first
 * record, or close); frames are batched up to flushBytes / flushMs and each batch is one write
 * of whole frames; nothing is ever rewritten.
 */
export class Recorder {
  readonly tMonoStart: number;
  readonly tWallStart: number;
  readonly level: string;
  private readonly registry: CodecRegistry;
  private readonly encoder: RecordFrameEncoder;
  private readonly batch: MsgpackWriter;
  private batchFrames = 0;
  private readonly flushBytes: number;
  private readonly flushMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private config: EncodedConfig | null = null;
  private headerWritten = false;
  private closed = false;
  private subscription: Subscription | null = null;
  private bus: EventBus<CallEvent> | null = null;
  readonly stats: RecorderStats = { recordsWritten: 0, bytesWritten: 0, droppedCount: 0, encodeFailures: 0, writeFailures: 0, afterClose: 0 };

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
    this.batch = new MsgpackWriter(this.flushBytes + 16 * 1024);
  }

  get droppedCount(): number {
    return this.stats.droppedCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Attaches the storage config and writes the header now. Returns false if the header was already
   * written (first record came first): it is never rewritten.
   */
  attachConfig(config: ConfigValue | EncodedConfig): boolean {
    if (this.headerWritten || this.closed) return false;
    this.config = isEncoded(config) ? config : encodeConfig(config);
    this.writeHeader();
    return true;
  }

  subscribe(bus: EventBus<CallEvent>): Subscription {
    this.subscription?.dispose();
    this.bus = bus;
    this.subscription = bus.subscribe(this.onEvent);
    return this.subscription;
  }

  /** Encodes one event into the batch; failures drop that record only and are counted. */
  readonly onEvent = (e: CallEvent): void => {
    if (this.closed) {
      this.stats.afterClose++;
      this.stats.droppedCount++;
      return;
    }
    if (!this.headerWritten) this.writeHeader();
    const tMono = e.tMono - this.tMonoStart;
    try {
      this.encoder.append(this.batch, tMono > 0 ? tMono : 0, e.tWall, e.qualname, e.argNames, e.args);
    } catch (err) {
      this.stats.encodeFailures++;
      this.stats.droppedCount++;
      this.options.onError?.(err);
      return;
    }
    this.batchFrames++;
    if (this.batch.pos >= this.flushBytes) this.flush();
    else if (this.timer === null) this.timer = setTimeout(this.onTimer, this.flushMs);
  };

  /** Writes the pending batch (one write of whole frames). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.batchFrames === 0) return;
    const frames = this.batchFrames;
    const bytes = this.batch.bytes();
    this.batchFrames = 0;
    try {
      this.sink.write(bytes);
      this.stats.recordsWritten += frames;
      this.stats.bytesWritten += bytes.length;
    } catch (err) {
      this.stats.writeFailures += frames;
      this.stats.droppedCount += frames;
      this.options.onError?.(err);
    }
    this.batch.reset();
  }

  /** Drains the bus, flushes, fsyncs, turns the gate off and closes the sink. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.options.gate) this.options.gate.enabled = false;
    this.bus?.flush();
    this.subscription?.dispose();
    this.subscription = null;
    if (!this.headerWritten) this.writeHeader();
    this.flush();
    this.closed = true;
    try {
      this.sink.sync();
    } catch (err) {
      this.options.onError?.(err);
    }
    try {
      this.sink.close();
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    this.flush();
  };

  private writeHeader(): void {
    this.headerWritten = true;
    const frame = encodeHeaderFrame(
      {
        level: this.level,
        t_mono_start: this.tMonoStart,
        t_wall_start: this.tWallStart,
        sm_config_json: this.config?.json ?? '',
        sm_config_digest: this.config?.digest ?? '',
      },
      this.registry,
    );
    try {
      this.sink.write(frame);
      this.stats.bytesWritten += frame.length;
    } catch (err) {
      this.options.onError?.(err);
      throw err;
    }
  }
}

function isEncoded(c: ConfigValue | EncodedConfig): c is EncodedConfig {
  return typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 2 && typeof (c as EncodedConfig).json === 'string' && typeof (c as EncodedConfig).digest === 'string';
}
