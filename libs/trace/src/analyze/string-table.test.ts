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

  it('interns a part from its bytes as it would the strings, in the order asked, ASCII or not', () => {
    // A shard's table and the merging table, which already holds some of the same values.
    const shard = new StringTable();
    const values = Array.from({ length: 3000 }, (_, i) => (i % 9 === 0 ? `réq-${i}-ü` : `req-${(i * 7919) % 2000}`));
    for (const v of values) shard.intern(v);
    const part = shard.toPart();
    const merged = new StringTable();
    const byStrings = new StringTable();
    for (const v of ['req-5', 'réq-0-ü', 'other']) {
      merged.intern(v);
      byStrings.intern(v);
    }
    // Part ids asked in an order of their own (as the merge meets them), past several doublings.
    for (let k = 0; k < shard.size; k++) {
      const id = 1 + ((k * 37) % (shard.size - 1));
      expect(merged.internFrom(part, id)).toBe(byStrings.intern(shard.get(id)));
    }
    expect(merged.size).toBe(byStrings.size);
    for (let id = 1; id < byStrings.size; id++) {
      const v = byStrings.get(id);
      expect(merged.get(id)).toBe(v);
      expect(merged.idOf(v), v).toBe(id);
    }
    expect(part.off.length).toBe(shard.size + 1);
  });

  it('gives back a value that starts with U+FEFF as it was interned, and finds it again', () => {
    const t = new StringTable();
    const v = '\uFEFFréq-1';
    const id = t.intern(v);
    expect(t.get(id)).toBe(v);
    expect(t.idOf(t.get(id))).toBe(id);
    expect(t.matchSubstring('\uFEFFré').hits).toBe(1);
  });

  it('trimmed, it keeps no hash slots and still finds every value by id and by string; adding again rebuilds them', () => {
    const t = new StringTable();
    const values = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `réq-${i}` : `req-${i}`));
    const ids = values.map((v) => t.intern(v));
    const before = t.byteLength;
    t.trim();
    expect(t.byteLength).toBeLessThan(before - 3000 * 4);
    values.forEach((v, i) => {
      expect(t.idOf(v)).toBe(ids[i]);
      expect(t.get(ids[i]!)).toBe(v);
    });
    expect(t.idOf('')).toBe(0);
    expect(t.idOf('req-3000')).toBe(-1);
    expect(t.idOf('réq-3001')).toBe(-1);
    // Calls came again after all: the old values keep their ids, new ones follow, from strings and from a part's bytes.
    expect(t.intern('req-5')).toBe(ids[5]);
    const more = new StringTable();
    more.intern('req-9');
    more.intern('new-b');
    const part = more.toPart();
    expect(t.internFrom(part, 1)).toBe(ids[9]);
    t.trim();
    expect(t.internFrom(part, 2)).toBe(3001);
    expect(t.intern('new-a')).toBe(3002);
    expect(t.idOf('new-b')).toBe(3001);
    expect(values.every((v, i) => t.idOf(v) === ids[i])).toBe(true);
  });
});
