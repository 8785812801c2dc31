import { QualnameInterner, readEnvelope, type CodecRegistry } from '@kvtrace/trace';
import { FRAME_PREFIX_BYTES } from '@kvtrace/trace';
import type { RecordStore } from './record-store.ts';
import { keyCount, summarizeArgs } from './summary.ts';

/** Where a trace's bytes can be read back from: a File (`slice`) or the server (`Range`). */
export interface RangeSource {
  /** Bytes [start, end) of the trace. */
  read(start: number, end: number): Promise<Uint8Array>;
}

/**
 * A call read back from its frame: its arguments, and its t_wall (the store keeps t_mono only: the
 * wall clock is shown for the rows on screen and the selected call, which are read back anyway).
 */
export type ArgsEntry =
  | { ok: true; args: Record<string, unknown>; unknownTags: number; keyCount: number | null; summary: string; tWall: number }
  | { ok: false; error: string; tWall?: number };

type Listener = () => void;

/** Requests this close together are read as one range (frames are contiguous in the file). */
const COALESCE_GAP = 64 * 1024;
const MAX_RANGE = 4 * 1024 * 1024;
const CAPACITY = 4096;

/**
 * Arguments decoded on demand, for the rows on screen and the selected one: the store keeps only
 * offsets, so a 2 GB trace never needs its arguments in memory. Requests made in the same tick are
 * merged into a few contiguous range reads; results live in a small LRU.
 */
export class ArgsCache {
  private entries = new Map<number, ArgsEntry>();
  private pending = new Set<number>();
  private inFlight = new Set<number>();
  private scheduled = false;
  /** By file id (RecordStore.fileOf): one per file of the open set. */
  private sources: readonly RangeSource[] = [];
  private generation = 0;
  private listeners = new Set<Listener>();
  private version = 0;
  private readonly interner = new QualnameInterner();

  constructor(
    private readonly store: RecordStore,
    private readonly registry: CodecRegistry,
  ) {}

  readonly subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  readonly getSnapshot = (): number => this.version;

  /** A new trace: forget everything, drop answers still on their way for the old one. */
  setSource(source: RangeSource | null): void {
    this.setSources(source === null ? [] : [source]);
  }

  /** A new set of files (rotated segments, several servers): one source per file id. */
  setSources(sources: readonly RangeSource[]): void {
    this.sources = sources;
    this.generation++;
    this.entries.clear();
    this.pending.clear();
    this.inFlight.clear();
    this.bump();
  }

  get(index: number): ArgsEntry | undefined {
    const e = this.entries.get(index);
    if (e) {
      // Refresh LRU position.
      this.entries.delete(index);
      this.entries.set(index, e);
    }
    return e;
  }

  request(indices: Iterable<number>): void {
    for (const i of indices) {
      if (i < 0 || i >= this.store.length || this.entries.has(i) || this.inFlight.has(i)) continue;
      this.pending.add(i);
    }
    if (this.pending.size > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Resolves when nothing is pending or in flight (tests and benches). */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.inFlight.size > 0 || this.scheduled) await new Promise((r) => setTimeout(r, 5));
  }

  private flush(): void {
    this.scheduled = false;
    if (this.sources.length === 0) return;
    const st = this.store;
    // By file, then by offset: a range read never spans two files.
    const idx = [...this.pending].sort((a, b) => st.fileOf(a) - st.fileOf(b) || st.offsetOf(a) - st.offsetOf(b));
    this.pending.clear();
    const gen = this.generation;
    let group: number[] = [];
    let gFile = -1;
    let gStart = 0;
    let gEnd = 0;
    const emit = () => {
      if (group.length === 0) return;
      const src = this.sources[gFile];
      if (src) void this.readGroup(src, gen, group, gStart, gEnd);
      else void this.failGroup(gen, group, `no source for file ${gFile}`);
    };
    for (const i of idx) {
      const f = st.fileOf(i);
      const s = st.offsetOf(i);
      const e = st.frameEnd(i);
      if (group.length > 0 && f === gFile && s - gEnd <= COALESCE_GAP && e - gStart <= MAX_RANGE) {
        group.push(i);
        gEnd = Math.max(gEnd, e);
      } else {
        emit();
        group = [i];
        gFile = f;
        gStart = s;
        gEnd = e;
      }
      this.inFlight.add(i);
    }
    emit();
  }

  private async failGroup(gen: number, group: number[], error: string): Promise<void> {
    await Promise.resolve();
    if (gen !== this.generation) return;
    for (const i of group) {
      this.inFlight.delete(i);
      this.put(i, { ok: false, error });
    }
    this.bump();
  }

  private async readGroup(src: RangeSource, gen: number, group: number[], start: number, end: number): Promise<void> {
    let buf: Uint8Array | null = null;
    let readError = '';
    try {
      buf = await src.read(start, end);
      if (buf.length < end - start) readError = `short read: got ${buf.length} of ${end - start} bytes at byte ${start}`;
    } catch (e) {
      readError = `cannot read bytes ${start}-${end}: ${(e as Error).message}`;
    }
    if (gen !== this.generation) return;
    for (const i of group) {
      this.inFlight.delete(i);
      this.put(i, buf && !readError ? this.decode(buf, i, start) : { ok: false, error: readError });
    }
    this.bump();
  }

  private decode(buf: Uint8Array, index: number, base: number): ArgsEntry {
    const frameStart = this.store.offsetOf(index) - base;
    const bodyStart = frameStart + FRAME_PREFIX_BYTES;
    const bodyEnd = frameStart + this.store.frameBytes[index]!;
    let tWall: number | undefined;
    try {
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const env = readEnvelope(buf, bodyStart, bodyEnd, this.interner, view);
      tWall = env.t_wall;
      const d = this.registry.decodeArgs(buf, env.argsStart, env.argsEnd, base);
      return { ok: true, args: d.args, unknownTags: d.unknownTags, keyCount: keyCount(d.args), summary: summarizeArgs(d.args), tWall };
    } catch (e) {
      return { ok: false, error: (e as Error).message, ...(tWall === undefined ? {} : { tWall }) };
    }
  }

  private put(i: number, e: ArgsEntry): void {
    this.entries.set(i, e);
    if (this.entries.size > CAPACITY) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  private bump(): void {
    this.version++;
    for (const l of this.listeners) l();
  }
}
