import { describe, expect, it } from 'vitest';
import { CountColumn, grownCapacity, moved, TRIM_SLACK, u32Column, u8Column, WideningColumn } from './growable.ts';

describe('growable columns', () => {
  it('grow by doubling, then by a quarter, keeping what they hold', () => {
    const c = u32Column(4);
    for (let i = 0; i < 200_000; i++) c.push(i);
    expect(c.length).toBe(200_000);
    expect(c.capacity).toBe(grownCapacity(4, 200_000));
    expect(c.capacity).toBeLessThan(200_000 * 1.25 + 1);
    expect(c.view()[123_456]).toBe(123_456);
  });

  it('a size known in advance is allocated once, exactly, and trim leaves it alone', () => {
    const c = u32Column(16);
    c.reserveExact(100_000);
    const data = c.data;
    expect(c.capacity).toBe(100_000);
    for (let i = 0; i < 100_000; i++) c.push(i * 3);
    c.trim(TRIM_SLACK);
    expect(c.data).toBe(data);
    expect(c.view()[99_999]).toBe(299_997);
  });

  it('trim copies only when the slack is over the fraction it is given', () => {
    const c = u32Column(16);
    c.reserveExact(1000);
    for (let i = 0; i < 980; i++) c.push(i);
    const data = c.data;
    c.trim(0.03);
    expect(c.data, '20 of 980 over: within 3%').toBe(data);
    c.trim(0.01);
    expect(c.data === data).toBe(false);
    expect(c.capacity).toBe(980);
    expect([...c.view().subarray(975)]).toEqual([975, 976, 977, 978, 979]);
    c.trim();
    expect(c.capacity).toBe(980);
  });

  // The tests run with ArrayBuffer.prototype.transfer (vitest.config.ts turns it on for Node 20),
  // as the browser has it.
  it('growth and trim move a column into a new buffer and detach the old one, which frees it at once', () => {
    expect(typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer, 'the runtime has transfer').toBe('function');
    const c = u32Column(4);
    for (let i = 0; i < 4; i++) c.push(i + 1);
    const small = c.data;
    c.push(5);
    expect(small.byteLength, 'grown: the old array is detached').toBe(0);
    expect([...c.view()]).toEqual([1, 2, 3, 4, 5]);
    expect([...c.data.subarray(5)], 'room past the length is zero').toEqual([0, 0, 0]);
    const big = c.data;
    c.trim();
    expect(big.byteLength, 'trimmed: the old array is detached').toBe(0);
    expect([...c.data]).toEqual([1, 2, 3, 4, 5]);
    const w = new WideningColumn(2);
    w.push(7);
    w.push(8);
    const wOld = w.data;
    w.push(9);
    expect(wOld.byteLength).toBe(0);
    expect([...w.data.subarray(0, w.length)]).toEqual([7, 8, 9]);
  });

  it('a move keeps only what it is told to: bytes past it are zero in the new array, and a view into a larger buffer is copied, never detached', () => {
    const a = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const b = moved(a, 8, 2, Uint8Array);
    expect([...b]).toEqual([1, 2, 0, 0, 0, 0, 0, 0]);
    const shrunk = moved(b, 1, 1, Uint8Array);
    expect([...shrunk]).toEqual([1]);
    const whole = new Uint8Array([9, 8, 7, 6]);
    const part = whole.subarray(1, 3);
    const copied = moved(part, 4, 2, Uint8Array);
    expect([...copied]).toEqual([8, 7, 0, 0]);
    expect([...whole], 'the buffer the view was in is untouched').toEqual([9, 8, 7, 6]);
    const col = u8Column(2);
    col.push(1);
    col.push(2);
    col.push(3);
    expect([...col.view()]).toEqual([1, 2, 3]);
  });

  it('a count column starts at one signed byte and widens before any value would be cut, keeping what it holds', () => {
    const c = new CountColumn(2);
    // A model: the values every write leaves, checked after each width step.
    const model: number[] = [];
    const check = (bytes: number) => {
      expect(c.data.BYTES_PER_ELEMENT).toBe(bytes);
      expect(Array.from(c.view())).toEqual(model);
    };
    const push = (v: number) => {
      model.push(v);
      c.push(v);
    };
    for (const v of [0, -1, 127, -128, 5]) push(v);
    check(1);
    c.add(0, 127);
    model[0] = 127;
    check(1);
    // 127 + 1 does not fit a byte: the add widens to 16 bits first.
    expect(c.add(2, 1)).toBe(128);
    model[2] = 128;
    check(2);
    c.set(3, -32768);
    model[3] = -32768;
    push(32767);
    check(2);
    expect(c.add(5, 1)).toBe(32768);
    model[5] = 32768;
    check(4);
    c.set(1, -2_000_000_000);
    model[1] = -2_000_000_000;
    for (let i = 0; i < 5000; i++) push(i - 2500);
    c.trim();
    check(4);
    expect(c.data.length).toBe(model.length);
    expect(() => c.set(0, 2 ** 31)).toThrow(/does not fit 32 bits/);
    expect(c.data[0]).toBe(127);
  });
});
