/**
 * Append-only typed columns. Capacity doubles (amortised O(1) push) and `view()` is a subarray of
 * the live buffer, so readers never copy; `trimmed()` copies to the exact length for transfer.
 */

type TypedArray = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;
type Ctor<T extends TypedArray> = new (length: number) => T;

export class Column<T extends TypedArray> {
  data: T;
  length = 0;
  constructor(
    private readonly ctor: Ctor<T>,
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
    let cap = this.data.length;
    while (cap < n) cap *= 2;
    const next = new this.ctor(cap);
    next.set(this.data.subarray(0, this.length) as never);
    this.data = next;
  }

  /** Grows the length to `n`, zero-filling (typed arrays are zeroed on allocation). */
  resize(n: number): void {
    this.reserve(n);
    if (n > this.length) this.data.fill(0, this.length, n);
    this.length = n;
  }

  view(): T {
    return this.data.subarray(0, this.length) as T;
  }

  trimmed(): T {
    return this.data.slice(0, this.length) as T;
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
