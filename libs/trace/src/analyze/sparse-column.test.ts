import { describe, expect, it } from 'vitest';
import { seededRandom } from '../util/random.ts';
import { SparseColumn } from './sparse-column.ts';

describe('SparseColumn', () => {
  it('gives every call its value, 0 where it has none, in order, backwards and at random; dense() is the same column', () => {
    const rand = seededRandom(12);
    const values: number[] = [];
    const c = new SparseColumn();
    for (let i = 0; i < 20_000; i++) {
      // Runs with values and long runs without, as prefetches come in bursts.
      const v = rand() < (Math.floor(i / 1000) % 3 === 0 ? 0.02 : 0.4) ? 1 + Math.floor(rand() * 1e9) : 0;
      values.push(v);
      c.push(v);
    }
    expect(c.length).toBe(values.length);
    for (let i = 0; i < values.length; i++) expect(c.get(i), `call ${i}`).toBe(values[i]);
    for (let i = values.length - 1; i >= 0; i--) expect(c.get(i), `call ${i}`).toBe(values[i]);
    for (let k = 0; k < 5000; k++) {
      const i = Math.floor(rand() * values.length);
      expect(c.get(i), `call ${i}`).toBe(values[i]);
    }
    expect(c.get(values.length + 5)).toBe(0);
    expect(Array.from(c.dense())).toEqual(values);
    const withValue = values.filter((v) => v !== 0).length;
    c.trim();
    expect(c.byteLength).toBe(withValue * 8);
    expect(new SparseColumn().get(0)).toBe(0);
  });
});
