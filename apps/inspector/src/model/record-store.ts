import { overSlack, TRIM_SLACK } from '@kvtrace/trace';

/** One batch of records as the worker sends it: parallel columns, `count` entries used. */
export interface RecordBatch {
  count: number;
  tMono: Float64Array;
  method: Uint16Array;
  /** Byte offset of each frame's length prefix (float64: files may exceed 4 GiB). */
  offset: Float64Array;
  /** Frame size including its prefix. */
  frameBytes: Uint32Array;
  /** Qualnames first seen in this batch, in method-id order after the known ones. */
  newMethods: string[];
  /** The file each record comes from (RecordStore.files), when several are open; absent: file 0. */
  file?: Uint16Array;
  /** Records the whole load is expected to hold (from its size and the bytes per record so far), when known. */
  expected?: number;
}

/** One file of the open set: its name and the trace (server) it belongs to, by position in `servers`. */
export interface StoreFile {
  name: string;
  trace: number;
}

/**
 * Bytes per record held by the store's columns (t_mono 8 + method 1 + frame bytes 2), for one file,
 * plus 8 B per OFFSET_BLOCK records (offsetOf); several files add a 2-byte file column and an 8-byte
 * offset. t_wall is not kept: it is read back with a call's arguments (ArgsCache), for the rows on
 * screen and the selected call.
 */
export const BYTES_PER_RECORD = 11;

/** Records per block of offsetOf: the offset of each block's first record is kept. */
export const OFFSET_BLOCK = 64;

/** Records loaded before the store sizes itself from the load's expected total (see reserve). */
const SIZING_MIN_RECORDS = 1 << 16;

/**
 * The columnar record store: one typed array per field, grown by doubling, so ten million records
 * of one file cost ~140 MB of flat memory and no per-record objects. Arguments are not kept: they are read back
 * from the source by offset (see ArgsCache). Method ids and offsets stay, so later indexes (filters,
 * key lifecycles) can be built over these columns without reparsing. Several files open as one
 * (rotated segments, several servers) add a file column, which names the file an offset is in and,
 * through `files`, the record's server; one file pays nothing for it.
 *
 * Offsets are not a column for one file: its frames follow one another, so a record's offset is its
 * block's first offset plus the frame lengths before it in the block (offsetOf), and a frame that does
 * not start where the one before ended (a malformed frame was skipped) is kept apart (`jumps`). That
 * is 8 B a record less, a third of what the store holds. Several files interleave their records,
 * and keep an offset per record (`offsets`).
 */
export class RecordStore {
  length = 0;
  tMono = new Float64Array(0);
  /** Method ids: 1 B while a trace has at most 256 methods, then 2 (widen). */
  method: Uint8Array | Uint16Array = new Uint8Array(0);
  /** Frame sizes: 2 B while every frame is under 64 KiB (LMCache's are a few KB), then 4 (widen). */
  frameBytes: Uint16Array | Uint32Array = new Uint16Array(0);
  /** One file: the offset of record b * OFFSET_BLOCK, by block b. */
  private blockStart = new Float64Array(0);
  /** One file: the offset of each record whose frame does not start where the one before ended. */
  private readonly jumps = new Map<number, number>();
  /** Where the last record's frame ends (one file), to find the next one's jump. */
  private lastEnd = 0;
  /** Several files: every record's offset (their records interleave, so no frame follows another). */
  private offsets: Float64Array | null = null;
  /** The file of each record; empty while every record is from file 0 (a single file). */
  file = new Uint16Array(0);
  /** Qualname by method id. */
  readonly methods: string[] = [];
  /** The open files, by file id (empty until the set is known: one file). */
  files: readonly StoreFile[] = [];
  /** Server names by trace; one trace: `['']`, and no server column is shown. */
  servers: readonly string[] = [''];

  get capacity(): number {
    return this.tMono.length;
  }

  /** Bytes held by the columns (capacity, not length: what the heap actually pays). */
  get byteLength(): number {
    return this.tMono.byteLength + this.method.byteLength + this.frameBytes.byteLength + this.file.byteLength + this.blockStart.byteLength + (this.offsets?.byteLength ?? 0);
  }

  /** The files and servers of the set being loaded (before its first batch). */
  setFiles(files: readonly StoreFile[], servers: readonly string[]): void {
    this.files = files;
    this.servers = servers.length > 0 ? servers : [''];
  }

  /** Several traces (servers) are open: the table shows a server column, the timeline a track per server. */
  get severalServers(): boolean {
    return this.servers.length > 1;
  }

  fileOf(index: number): number {
    return this.file.length === 0 ? 0 : this.file[index]!;
  }

  /** The trace (position in `servers`) of a record. */
  traceOf(index: number): number {
    return this.files[this.fileOf(index)]?.trace ?? 0;
  }

  serverOf(index: number): string {
    return this.servers[this.traceOf(index)] ?? '';
  }

  append(b: RecordBatch): void {
    for (const q of b.newMethods) this.methods.push(q);
    if (b.count === 0) return;
    this.reserve(this.length + b.count, b.expected);
    const n = this.length;
    this.widen(b);
    this.tMono.set(b.tMono.subarray(0, b.count), n);
    this.method.set(b.method.subarray(0, b.count), n);
    this.frameBytes.set(b.frameBytes.subarray(0, b.count), n);
    if (b.file) {
      // The column starts with the first batch that has one (records before it are file 0).
      if (this.file.length === 0) this.file = new Uint16Array(this.capacity);
      this.file.set(b.file.subarray(0, b.count), n);
      if (this.offsets === null) this.keepEveryOffset();
    }
    if (this.offsets !== null) this.offsets.set(b.offset.subarray(0, b.count), n);
    else {
      for (let k = 0; k < b.count; k++) {
        const i = n + k, off = b.offset[k]!;
        if (i % OFFSET_BLOCK === 0) this.blockStart[i / OFFSET_BLOCK] = off;
        else if (off !== this.lastEnd) this.jumps.set(i, off);
        this.lastEnd = off + b.frameBytes[k]!;
      }
    }
    this.length = n + b.count;
  }

  /** Wider method and frame-size columns, where the batch has a value the narrow ones cannot hold. */
  private widen(b: RecordBatch): void {
    if (this.method instanceof Uint8Array && this.methods.length > 0x100) this.method = new Uint16Array(this.method);
    if (this.frameBytes instanceof Uint16Array) {
      let max = 0;
      for (let k = 0; k < b.count; k++) max = Math.max(max, b.frameBytes[k]!);
      if (max > 0xffff) this.frameBytes = new Uint32Array(this.frameBytes);
    }
  }

  /** Byte offset of a record's frame (its length prefix) in its file. */
  offsetOf(index: number): number {
    if (this.offsets !== null) return this.offsets[index]!;
    const first = index - (index % OFFSET_BLOCK);
    let off = this.blockStart[first / OFFSET_BLOCK]!;
    const fb = this.frameBytes;
    if (this.jumps.size === 0) {
      for (let j = first; j < index; j++) off += fb[j]!;
      return off;
    }
    for (let j = first + 1; j <= index; j++) off = this.jumps.get(j) ?? off + fb[j - 1]!;
    return off;
  }

  /** From one file to several: every record's offset from now on (those so far computed once). */
  private keepEveryOffset(): void {
    const all = new Float64Array(this.capacity);
    for (let i = 0; i < this.length; i++) all[i] = this.offsetOf(i);
    this.offsets = all;
    this.blockStart = new Float64Array(0);
    this.jumps.clear();
  }

  /**
   * Releases the growth slack once loading is over. Within TRIM_SLACK of the length (a load sized
   * from its expected record count) the columns stay: trimming copies every column, and the
   * copies' old arrays would stay allocated until a garbage collection.
   */
  trim(): void {
    if (overSlack(this.capacity, this.length, TRIM_SLACK)) this.resize(this.length);
  }

  clear(): void {
    this.length = 0;
    this.methods.length = 0;
    this.files = [];
    this.servers = [''];
    this.method = new Uint8Array(0);
    this.frameBytes = new Uint16Array(0);
    this.resize(0);
    this.file = new Uint16Array(0);
    this.offsets = null;
    this.jumps.clear();
    this.lastEnd = 0;
  }

  qualname(index: number): string {
    return this.methods[this.method[index]!] ?? '?';
  }

  /** End of a record's frame in the file (exclusive). */
  frameEnd(index: number): number {
    return this.offsetOf(index) + this.frameBytes[index]!;
  }

  /**
   * Room for n records: the expected total when the load knows it (one allocation for the whole
   * load, instead of a doubling series whose old arrays are garbage), else double. The estimate is
   * trusted from SIZING_MIN_RECORDS records on: from the first batch's few thousand it was 7% short
   * on the 1M-call bench file, and growing past it copied every column (30 MB of garbage).
   */
  private reserve(n: number, expected?: number): void {
    if (n <= this.capacity) return;
    const sized = expected !== undefined && expected >= n && n >= SIZING_MIN_RECORDS ? Math.ceil(expected * (1 + TRIM_SLACK / 2)) : 0;
    this.resize(Math.max(n, sized || this.capacity * 2, 4096));
  }

  private resize(cap: number): void {
    const grow = <T extends Float64Array | Uint8Array | Uint16Array | Uint32Array>(old: T, make: (n: number) => T): T => {
      const next = make(cap);
      next.set(old.subarray(0, Math.min(this.length, cap)));
      return next;
    };
    this.tMono = grow(this.tMono, (k) => new Float64Array(k));
    this.method = this.method instanceof Uint8Array ? grow(this.method, (k) => new Uint8Array(k)) : grow(this.method, (k) => new Uint16Array(k));
    this.frameBytes = this.frameBytes instanceof Uint16Array ? grow(this.frameBytes, (k) => new Uint16Array(k)) : grow(this.frameBytes, (k) => new Uint32Array(k));
    if (this.file.length > 0) this.file = grow(this.file, (k) => new Uint16Array(k));
    if (this.offsets !== null) this.offsets = grow(this.offsets, (k) => new Float64Array(k));
    else {
      const blocks = Math.ceil(cap / OFFSET_BLOCK);
      const next = new Float64Array(blocks);
      next.set(this.blockStart.subarray(0, Math.min(blocks, Math.ceil(this.length / OFFSET_BLOCK))));
      this.blockStart = next;
    }
  }
}
