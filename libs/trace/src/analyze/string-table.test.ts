import { describe, expect, it } from 'vitest';
import { StringTable } from './string-table.ts';

describe('StringTable', () => {
  it('finds every value after the table has doubled many times (ASCII values rehashed from their bytes)', () => {
    const t = new StringTable();
    // ASCII request ids, non-ASCII ones, and the empty string: the slots double from 64 to 32k.
    const values = Array.from({ length: 12_000 }, (_, i) => (i % 5 === 0 ? `réq-${i}-ü` : i % 7 === 0 ? `${i}` : `req-${i.toString(36)}-x`));
    const ids = values.map((v) => t.intern(v));
    expect(new Set(ids).size).toBe(values.length);
    for (const [i, v] of values.entries()) {
      expect(t.idOf(v)).toBe(ids[i]);
      expect(t.get(ids[i]!)).toBe(v);
    }
    expect(t.idOf('')).toBe(0);
    expect(t.idOf('req-absent')).toBe(-1);
    // Interning again finds the same ids (no second copy).
    const size = t.size;
    for (const [i, v] of values.entries()) expect(t.intern(v)).toBe(ids[i]);
    expect(t.size).toBe(size);
  });
});
