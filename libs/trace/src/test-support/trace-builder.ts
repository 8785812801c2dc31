/**
 * The low level of the one seeded trace builder: a header, then record frames at explicit times,
 * written with libs/trace's own encoder, to memory or streamed to a file in bounded memory.
 *
 *   const b = TraceBuilder.memory({ config: { l1_size_gb: 1 } });
 *   b.call('reserve_write', 0.001, { keys, layout_desc: layout, mode: 'new' }); // names from SM_PARAMS
 *   b.call('finish_write', 0.002, { keys });
 *   b.record('some.Other.method', 0.003, ['x'], [1]);                        // any method, any shape
 *   const bytes = b.bytes();
 *
 *   const f = TraceBuilder.file(path);   // a 6 GB file holds at most `flushBytes` (+ one frame) in memory
 *   writeTraffic(f, { seed, records: 1e6 }); f.close();
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createDefaultRegistry, type CodecRegistry } from '../codec/registry.ts';
import { encodeConfig, type ConfigValue } from '../format/config-json.ts';
import { encodeHeaderFrame, RecordFrameEncoder, type HeaderFields } from '../format/frame-writer.ts';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { FRAME_PREFIX_BYTES, LEVEL_STORAGE } from '../format/spec.ts';
import type { CallEvent } from '../model.ts';
import { argValues, SIGNATURES, type SmArgs, type SmMethod } from './methods.ts';

/** The header's start times unless given: a fixed moment (2026-04-16), so the same calls give the same bytes. */
export const DEFAULT_T_MONO_START = 1000;
export const DEFAULT_T_WALL_START = 1776340800.125;

export interface HeaderOptions {
  /** Encoded with encodeConfig (sorted keys, Python spacing) and its digest; none: `""` and `""`. */
  config?: ConfigValue;
  /** Raw header strings instead of `config` (a mismatching digest, a config no reader can parse). */
  configJson?: string;
  configDigest?: string;
  tMonoStart?: number;
  tWallStart?: number;
  level?: string;
  schemaVersion?: number;
  formatVersion?: number;
  levelMeta?: Record<string, unknown>;
}

/** Where the frames go: memory (kept) or a file descriptor (flushed and forgotten). */
interface Output {
  write(bytes: Uint8Array): void;
  close(): void;
}

export function headerFields(o: HeaderOptions = {}): HeaderFields {
  const encoded = o.config === undefined ? { json: '', digest: '' } : encodeConfig(o.config);
  return {
    level: o.level ?? LEVEL_STORAGE,
    t_mono_start: o.tMonoStart ?? DEFAULT_T_MONO_START,
    t_wall_start: o.tWallStart ?? DEFAULT_T_WALL_START,
    sm_config_json: o.configJson ?? encoded.json,
    sm_config_digest: o.configDigest ?? encoded.digest,
    trace_schema_version: o.schemaVersion,
    format_version: o.formatVersion,
    level_meta: o.levelMeta,
  };
}

/**
 * Writes one trace. Times are seconds since the trace start (`t_mono`); `t_wall` is the header's
 * wall start plus that. Frames are encoded into one reused buffer, handed to the output when it
 * passes `flushBytes` (file) or kept (memory).
 */
export class TraceBuilder {
  readonly registry: CodecRegistry;
  readonly tMonoStart: number;
  readonly tWallStart: number;
  /** Records written (frames from record/call; raw frames and bytes are not counted). */
  records = 0;
  /** Records per qualname. */
  readonly byQualname = new Map<string, number>();
  /** The most bytes held in memory at once (file output: bounded by flushBytes plus one frame). */
  maxBuffered = 0;
  private readonly w: MsgpackWriter;
  private readonly enc: RecordFrameEncoder;
  private flushed = 0;
  private closed = false;
  private readonly extraNames = new Map<string, readonly string[]>();

  private constructor(
    private readonly output: Output | null,
    header: HeaderOptions,
    private readonly flushBytes: number,
  ) {
    this.registry = createDefaultRegistry();
    this.enc = new RecordFrameEncoder(this.registry);
    this.w = new MsgpackWriter(output ? Math.min(flushBytes * 2, 16 << 20) : 1 << 16);
    this.tMonoStart = header.tMonoStart ?? DEFAULT_T_MONO_START;
    this.tWallStart = header.tWallStart ?? DEFAULT_T_WALL_START;
    this.w.raw(encodeHeaderFrame(headerFields(header), this.registry));
    this.settle();
  }

  /** A trace kept in memory; `bytes()` returns it. */
  static memory(header: HeaderOptions = {}): TraceBuilder {
    return new TraceBuilder(null, header, Infinity);
  }

  /** A trace streamed to `path` (created or truncated); call close(). */
  static file(path: string, header: HeaderOptions = {}, options: { flushBytes?: number } = {}): TraceBuilder {
    const fd = openSync(path, 'w');
    const out: Output = {
      write: (b) => {
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off, b.length - off);
      },
      close: () => closeSync(fd),
    };
    return new TraceBuilder(out, header, options.flushBytes ?? 8 << 20);
  }

  /** Bytes of the file so far: the offset the next frame will start at. */
  get offset(): number {
    return this.flushed + this.w.pos;
  }

  /**
   * One record of a traced storage-manager method, arguments by parameter name (defaults filled in
   * as the traced wrapper does). `extra` adds arguments after the method's own, as a newer recorder
   * might (readers must show them). Returns the frame's byte offset.
   */
  call<M extends SmMethod>(method: M, t: number, args: SmArgs<M>, extra?: Readonly<Record<string, unknown>>): number {
    const sig = SIGNATURES[method];
    const values = argValues(method, args as Readonly<Record<string, unknown>>);
    if (!extra) return this.record(sig.qualname, t, sig.names, values);
    const more = Object.keys(extra);
    return this.record(sig.qualname, t, this.namesWith(sig.names, more), [...values, ...more.map((k) => extra[k])]);
  }

  /** One record of any qualname with any argument names and values. Returns the frame's byte offset. */
  record(qualname: string, t: number, names: readonly string[], values: readonly unknown[]): number {
    this.open();
    const at = this.offset;
    this.enc.append(this.w, t, this.tWallStart + t, qualname, names, values);
    this.records++;
    this.byQualname.set(qualname, (this.byQualname.get(qualname) ?? 0) + 1);
    this.settle();
    return at;
  }

  /** A call event as the traced wrapper publishes it (for recorder and bus tests), not written. */
  event<M extends SmMethod>(method: M, t: number, args: SmArgs<M>): CallEvent {
    const sig = SIGNATURES[method];
    return { qualname: sig.qualname, tMono: this.tMonoStart + t, tWall: this.tWallStart + t, argNames: sig.names, args: argValues(method, args as Readonly<Record<string, unknown>>) };
  }

  /** A frame around any body (a record that is not valid, for damage tests). Returns its offset. */
  frame(body: Uint8Array): number {
    this.open();
    const at = this.offset;
    this.w.ensure(FRAME_PREFIX_BYTES);
    this.w.patchU32(this.w.pos, body.length);
    this.w.pos += FRAME_PREFIX_BYTES;
    this.w.raw(body);
    this.settle();
    return at;
  }

  /** Bytes as they are (a partial frame at the end: a truncated tail). */
  raw(bytes: Uint8Array): void {
    this.open();
    this.w.raw(bytes);
    this.settle();
  }

  /** The whole trace (memory output only). */
  bytes(): Uint8Array {
    if (this.output) throw new Error('bytes() is for a memory trace; a file trace is read from its file');
    return this.w.bytes().slice();
  }

  /** Flushes and closes the file (idempotent; nothing to do for memory). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.output) return;
    this.output.write(this.w.bytes());
    this.flushed += this.w.pos;
    this.w.reset();
    this.output.close();
  }

  private open(): void {
    if (this.closed) throw new Error('the trace is closed');
  }

  private settle(): void {
    if (this.w.pos > this.maxBuffered) this.maxBuffered = this.w.pos;
    if (this.output && this.w.pos >= this.flushBytes) {
      this.output.write(this.w.bytes());
      this.flushed += this.w.pos;
      this.w.reset();
    }
  }

  /** One frozen names array per shape: the encoder caches pre-encoded names per array. */
  private namesWith(names: readonly string[], more: readonly string[]): readonly string[] {
    const id = names.join('\0') + '\u0001' + more.join('\0');
    let n = this.extraNames.get(id);
    if (!n) {
      n = Object.freeze([...names, ...more]);
      this.extraNames.set(id, n);
    }
    return n;
  }
}
