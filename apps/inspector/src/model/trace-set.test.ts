import { describe, expect, it } from 'vitest';
import { planTraces, setName, setOrder, TraceSetError } from './trace-set.ts';

const plan = (names: string[]) => planTraces(names, (n) => n).map((t) => [t.server, t.files.map((f) => f.name), t.missing]);

describe('planTraces: which files open as which traces', () => {
  it('one file is one trace, whatever its name', () => {
    expect(plan(['trace.000003.lct'])).toEqual([['trace', ['trace.000003.lct'], []]]);
    expect(plan(['capture.bin'])).toEqual([['capture.bin', ['capture.bin'], []]]);
  });

  it('a rotated recording is one trace in segment order; recordings are traces (servers), by name', () => {
    expect(plan(['node-b.000001.lct', 'node-a.lct', 'node-b.lct'])).toEqual([
      ['node-a', ['node-a.lct'], []],
      ['node-b', ['node-b.lct', 'node-b.000001.lct'], []],
    ]);
    // The same files in any order are the same set: server ids (and key ids) do not depend on the drop order.
    expect(plan(['node-b.lct', 'node-a.lct', 'node-b.000001.lct'])).toEqual(plan(['node-b.000001.lct', 'node-a.lct', 'node-b.lct']));
  });

  it('names the segments a recording lacks, and files that are not .lct names are traces of their own', () => {
    expect(plan(['r.lct', 'r.000003.lct', 'x.bin'])).toEqual([
      ['r', ['r.lct', 'r.000003.lct'], ['r.000001.lct', 'r.000002.lct']],
      ['x.bin', ['x.bin'], []],
    ]);
  });

  it('refuses one segment given twice, naming both files', () => {
    const twice = [
      { name: 'a.lct', dir: 'node-1' },
      { name: 'a.lct', dir: 'node-2' },
    ];
    expect(() => planTraces(twice, (f) => f.name)).toThrow(TraceSetError);
    expect(() => planTraces(twice, (f) => f.name)).toThrow(/two files for segment 0 of recording "a"/);
    expect(() => planTraces(['x.bin', 'x.bin'], (n) => n)).toThrow(/two files named "x.bin"/);
  });

  it('names a set by its file, its segments, or its servers', () => {
    expect(setName(planTraces(['a.lct'], (n) => n))).toBe('a.lct');
    expect(setName(planTraces(['a.lct', 'a.000001.lct'], (n) => n))).toBe('a (2 segments)');
    expect(setName(planTraces(['b.lct', 'a.lct', 'b.000001.lct'], (n) => n))).toBe('a + b (3 files)');
  });
});

describe('setOrder', () => {
  it('lists files as the set opens them, or as given when they are no set', () => {
    expect(setOrder(['b.lct', 'b.000001.lct', 'a.lct'])).toEqual(['a.lct', 'b.lct', 'b.000001.lct']);
    expect(setOrder(['a.lct', 'a.lct'])).toEqual(['a.lct', 'a.lct']);
  });
});
