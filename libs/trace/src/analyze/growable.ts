/**
 * Append-only typed columns. `view()` is a subarray of the live buffer, so readers never copy;
 * `trimmed()` copies to the exact length for transfer.
 *
 * Capacity doubles while a column is small and grows by a quarter once it holds 64k
 * elements (GROW_LARGE): a doubling column is on average a third empty, and the analysis of a
 * production trace is a few dozen columns of millions of entries, so that slack was the biggest
 * single cost of the index after the data itself (1M calls x 4 keys: ~40 B of a ~170 B call). A
 * quarter keeps appends amortised O(1) (each element is copied about four times over its life,
 * memcpy speed) for ~10% average slack; `trim()` drops the rest when a build is over.
 */

import type { CountArray } from './types.ts';

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int8Array | Int16Array | Int32Array | Float64Array;

/**
 * Capacity over the length that a finished build's trim leaves alone, as a fraction of the length:
 * within it, copying the column (and leaving the old one as garbage until a collection) costs more
 * than the slack it gives back.
 */
export const TRIM_SLACK = 0.03;

/** True when a finished column of `length` in `capacity` is worth copying to its length (see TRIM_SLACK). */
export function overSlack(capacity: number, length: number, slack: number): boolean {
  return capacity > Math.max(1, length + Math.floor(length * slack));
}

/**
 * `data` moved into a new array of `cap` elements, its first `keep` kept (the rest zero; `keep`
 * at most `cap`). Where the runtime has `ArrayBuffer.prototype.transfer` (Chromium, Node 22+) and
 * the array owns its whole buffer, the move detaches the old buffer, which frees its memory at
 * once: a copy leaves it allocated until a garbage collection, and a finished build's trim copies
 * the request tracker's twenty span columns just as the index completes (about 20 MB for the
 * 1M-call bench file). So no one may keep a view of a column's array across a push, a reserve or a
 * trim of that column: the view would be empty, not stale.
 */
export function moved<T extends TypedArray>(data: T, cap: number, keep: number, ctor: MovableCtor<T>): T {
  const buf = data.buffer as ArrayBuffer & { transfer?: (n: number) => ArrayBuffer };
  if (CAN_TRANSFER && data.byteOffset === 0 && buf.byteLength === data.byteLength && buf instanceof ArrayBuffer) {
    // transfer copies min(old, new) bytes: what lies past `keep` in the old array must not come along.
    if (keep < data.length && keep < cap) data.fill(0, keep, Math.min(cap, data.length));
    return new ctor(buf.transfer!(cap * data.BYTES_PER_ELEMENT));
  }
  const next = new ctor(cap);
  next.set(data.subarray(0, Math.min(keep, cap)) as never);
  return next;
}

/** A typed array's constructor: a length, or a buffer to view. */
export interface MovableCtor<T> {
  new (length: number): T;
  new (buffer: ArrayBuffer): T;
}

const CAN_TRANSFER = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';

/** From this many elements on, capacity grows by a quarter instead of doubling. */
const GROW_LARGE = 1 << 16;

/** The capacity a column of `cap` grows to so that it holds at least `n`. */
export function grownCapacity(cap: number, n: number): number {
  let c = Math.max(1, cap);
  while (c < n) c = c < GROW_LARGE ? c * 2 : c + (c >> 2);
  return c;
}

/**
 * Slots for an open-addressing table of `entries` that keeps itself at most half full: the
 * smallest power of two from `min` on that is more than twice `entries` (a table rebuilt after a
 * trim dropped it, or sized for a known count).
 */
export function halfEmptyTableSize(entries: number, min: number): number {
  let size = min;
  while (size <= entries * 2) size *= 2;
  return size;
}

export class Column<T extends TypedArray> {
  data: T;
  length = 0;
  constructor(
    private readonly ctor: MovableCtor<T>,
    initialCapacity = 1024,
  ) {
    this.data = new ctor(Math.max(1, initialCapacity));
  }

  push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }

  /** Makes room for at least `n` elements without changing the length. */
  reserve(n: number): void {
    if (n <= this.data.length) return;
    this.realloc(grownCapacity(this.data.length, n));
  }

  /**
   * Room for exactly `n` elements when the final size is known (a merge of known length): no growth
   * step, and nothing for trim() to copy (its copy would leave the old array as garbage).
   */
  reserveExact(n: number): void {
    if (n > this.data.length) this.realloc(n);
  }

  /** Grows the length to `n`, zero-filling (typed arrays are zeroed on allocation). */
  resize(n: number): void {
    this.reserve(n);
    if (n > this.length) this.data.fill(0, this.length, n);
    this.length = n;
  }

  /**
   * Gives back the capacity beyond the length (a finished build), unless it is within `slack` (a
   * fraction of the length) of it: then the copy, and the garbage it leaves until the next
   * collection, cost more than the slack.
   */
  trim(slack = 0): void {
    if (overSlack(this.data.length, this.length, slack)) this.realloc(Math.max(1, this.length));
  }

  /** Elements the column holds room for. */
  get capacity(): number {
    return this.data.length;
  }

  /** Takes `data[0, length)` as the column's contents (no copy; the column owns it from now on). */
  adopt(data: T, length = data.length): void {
    this.data = data;
    this.length = length;
  }

  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  trimmed(): T {
    return this.data.slice(0, this.length) as T;
  }

  /** Bytes held (capacity, not length: what memory pays). */
  get byteLength(): number {
    return this.data.byteLength;
  }

  private realloc(cap: number): void {
    this.data = moved(this.data, cap, this.length, this.ctor);
  }
}

// One subclass per element type, each with its own copy of push: a single shared push would see
// five typed-array kinds and make its store megamorphic (it was the top cost of indexing).
class U8Column extends Column<Uint8Array> {
  override push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
}
class U16Column extends Column<Uint16Array> {
  override push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
}
class U32Column extends Column<Uint32Array> {
  override push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
}
class I32Column extends Column<Int32Array> {
  override push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
}
class F64Column extends Column<Float64Array> {
  override push(v: number): number {
    if (this.length === this.data.length) this.reserve(this.length + 1);
    this.data[this.length] = v;
    return this.length++;
  }
}

export const u8Column = (cap?: number): Column<Uint8Array> => new U8Column(Uint8Array, cap);
export const u16Column = (cap?: number): Column<Uint16Array> => new U16Column(Uint16Array, cap);
export const u32Column = (cap?: number): Column<Uint32Array> => new U32Column(Uint32Array, cap);
export const i32Column = (cap?: number): Column<Int32Array> => new I32Column(Int32Array, cap);
export const f64Column = (cap?: number): Column<Float64Array> => new F64Column(Float64Array, cap);

/**
 * What WideningColumn and CountColumn share: an array whose element type a subclass widens as its
 * values need, sized and trimmed like a Column. Each subclass keeps its own push (see U8Column).
 */
abstract class RetypedColumn<A extends TypedArray> {
  length = 0;
  constructor(public data: A) {}

  /** Room for exactly `n` elements (see Column.reserveExact). */
  reserveExact(n: number): void {
    if (n > this.data.length) this.realloc(n);
  }

  /** Gives back the capacity beyond the length, unless within `slack` of it (see Column.trim). */
  trim(slack = 0): void {
    if (overSlack(this.data.length, this.length, slack)) this.realloc(Math.max(1, this.length));
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  /** Moves the array to `cap` elements of its own type (growable.ts `moved`). */
  protected realloc(cap: number): void {
    this.data = moved(this.data, cap, this.length, this.data.constructor as MovableCtor<A>);
  }
}

/**
 * A column of small non-negative integers whose element width follows the largest value pushed:
 * bytes until a value needs more, then 16 bits, then 32 (the array is widened once per step). For
 * per-call values that are almost always small (a prefetch's extra_count, a trace's record index
 * delta), so a call pays one byte for them. Reads go through `get` or `data` (any width).
 */
export class WideningColumn extends RetypedColumn<Uint8Array | Uint16Array | Uint32Array> {
  private max = 0xff;

  constructor(initialCapacity = 1024) {
    super(new Uint8Array(Math.max(1, initialCapacity)));
  }

  push(v: number): void {
    if (v > this.max) this.widen(v);
    if (this.length === this.data.length) this.realloc(grownCapacity(this.data.length, this.length + 1));
    this.data[this.length++] = v;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  private widen(v: number): void {
    const next = v > 0xffff ? new Uint32Array(this.data.length) : new Uint16Array(this.data.length);
    this.max = v > 0xffff ? 0xffffffff : 0xffff;
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}

/**
 * A column of small signed integers (counts, with -1 as a marker) whose element width follows the
 * integers written: bytes until one needs more, then 16 bits, then 32. Every write goes through
 * `push`, `set` or `add`, which widen first, so no value is ever cut; reads use `data` (any
 * width). For the request tracker's per-span counts (keys, found, live, paired, ...): a span of a
 * production trace has 16-32 keys, so its eight counts cost 8 bytes, not 32.
 */
export class CountColumn extends RetypedColumn<CountArray> {
  private min = -0x80;
  private max = 0x7f;

  constructor(initialCapacity = 1024) {
    super(new Int8Array(Math.max(1, initialCapacity)));
  }

  push(v: number): void {
    if (v > this.max || v < this.min) this.widen(v);
    if (this.length === this.data.length) this.realloc(grownCapacity(this.data.length, this.length + 1));
    this.data[this.length++] = v;
  }

  set(i: number, v: number): void {
    if (v > this.max || v < this.min) this.widen(v);
    this.data[i] = v;
  }

  /** data[i] += d; returns the new value. */
  add(i: number, d: number): number {
    const v = this.data[i]! + d;
    this.set(i, v);
    return v;
  }

  view(): CountArray {
    return this.data.subarray(0, this.length);
  }

  private widen(v: number): void {
    if (!Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000) throw new RangeError(`a count of ${v} does not fit 32 bits`);
    const wide = v > 0x7fff || v < -0x8000;
    const next = wide ? new Int32Array(this.data.length) : new Int16Array(this.data.length);
    [this.min, this.max] = wide ? [-0x80000000, 0x7fffffff] : [-0x8000, 0x7fff];
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
}
