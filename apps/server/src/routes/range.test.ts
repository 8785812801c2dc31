import { describe, expect, it } from 'vitest';
import { parseRange } from './range.ts';

describe('parseRange', () => {
  it('a first byte too large to be an exact integer is past the end: unsatisfiable, not ignored', () => {
    expect(parseRange('bytes=99999999999999999999999-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=99999999999999999999999-99999999999999999999999', 100)).toBe('unsatisfiable');
    expect(parseRange(`bytes=${2 ** 53}-`, 100)).toBe('unsatisfiable');
  });

  it('a huge last byte is clamped, a huge suffix is the whole file', () => {
    expect(parseRange('bytes=5-99999999999999999999999', 100)).toEqual({ start: 5, end: 99 });
    expect(parseRange('bytes=-99999999999999999999999', 100)).toEqual({ start: 0, end: 99 });
  });

  it('ordinary ranges, and malformed ones ignored', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=9-3', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
  });
});
