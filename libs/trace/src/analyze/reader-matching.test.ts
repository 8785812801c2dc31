import { describe, expect, it } from 'vitest';
import { ReaderMatching } from './reader-matching.ts';

describe('ReaderMatching: requests proven read when the reads that only they can have made are as many as they are', () => {
  it('one candidate: the read is that request\'s at once', () => {
    const m = new ReaderMatching();
    expect(m.add(10, [4])).toEqual([{ requests: [4], reads: [10] }]);
    expect(m.isUsed(4)).toBe(true);
    expect(m.isUsed(5)).toBe(false);
  });

  it('three reads fitting the same three requests complete the group only with the third', () => {
    const m = new ReaderMatching();
    expect(m.add(10, [1, 2, 3])).toEqual([]);
    expect(m.add(11, [1, 2, 3])).toEqual([]);
    expect([1, 2, 3].some((s) => m.isUsed(s))).toBe(false);
    expect(m.add(12, [3, 2, 1])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect([1, 2, 3].every((s) => m.isUsed(s))).toBe(true);
  });

  it('a group spends its requests: a read that could also have been one of theirs is left with the rest, in a chain', () => {
    const m = new ReaderMatching();
    // Read 10 fits 1, 2 or 3; reads 11 and 12 fit only 1 or 2.
    expect(m.add(10, [1, 2, 3])).toEqual([]);
    expect(m.add(11, [1, 2])).toEqual([]);
    const groups = m.add(12, [1, 2]);
    // {1, 2} made 11 and 12, so 10 was 3's.
    expect(groups).toEqual([
      { requests: [1, 2], reads: [11, 12] },
      { requests: [3], reads: [10] },
    ]);
    // A later read that lists a spent request has only the others to choose from.
    expect(m.add(13, [2, 7])).toEqual([{ requests: [7], reads: [13] }]);
  });

  it('reads whose candidates overlap in a ring: the three requests are tight together though no read lists all three', () => {
    const m = new ReaderMatching();
    expect(m.add(10, [1, 2])).toEqual([]);
    expect(m.add(11, [2, 3])).toEqual([]);
    expect(m.add(12, [1, 3])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect([1, 2, 3].every((s) => m.isUsed(s))).toBe(true);
  });

  it('a group that spends a request can make the rest of its connected set tight', () => {
    const m = new ReaderMatching();
    expect(m.add(1, [1, 2, 3])).toEqual([]);
    expect(m.add(2, [4, 5])).toEqual([]);
    expect(m.add(3, [1, 4])).toEqual([]);
    expect(m.add(4, [2, 5])).toEqual([]);
    // Read 5 can only be 3's, which leaves read 1 with 1 or 2: then reads 1-4 fit requests 1, 2, 4, 5.
    expect(m.add(5, [3])).toEqual([
      { requests: [3], reads: [5] },
      { requests: [1, 2, 4, 5], reads: [1, 2, 3, 4] },
    ]);
  });

  it('fewer reads than requests prove nothing; more reads than requests contradict the premises and prove nothing', () => {
    const m = new ReaderMatching();
    expect(m.add(10, [1, 2])).toEqual([]);
    expect(m.add(11, [3, 4, 5])).toEqual([]);
    expect(m.add(12, [3, 4, 5])).toEqual([]);
    expect([1, 2, 3, 4, 5].some((s) => m.isUsed(s))).toBe(false);
    // Three reads within two requests, none of the pairs tight before the third came: impossible if
    // each request reads once (the trace broke a premise), so none of them is called read.
    const n = new ReaderMatching();
    expect(n.add(10, [1, 2, 3])).toEqual([]);
    expect(n.add(11, [1, 2, 3])).toEqual([]);
    expect(n.add(12, [1, 2, 3])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect(n.add(13, [1, 2, 3])).toEqual([]);
  });

  it('a read no request can have made, or whose requests are all spent, is ignored', () => {
    const m = new ReaderMatching();
    expect(m.add(10, [])).toEqual([]);
    m.add(11, [1]);
    expect(m.add(12, [1])).toEqual([]);
    expect(m.add(13, [2])).toEqual([{ requests: [2], reads: [13] }]);
  });

  it('a pending read forgotten past the window never makes a group tight (fewer reads counted)', () => {
    const m = new ReaderMatching();
    // Read 1 fits requests 1 or 2; then 300 reads of other, disjoint pairs push it out of the window.
    m.add(1, [1, 2]);
    for (let i = 0; i < 300; i++) m.add(100 + i, [1000 + 3 * i, 1001 + 3 * i]);
    // Read 2 also fits 1 or 2: with read 1 remembered the pair would be tight; forgotten, it is not.
    expect(m.add(2, [1, 2])).toEqual([]);
    expect(m.isUsed(1) || m.isUsed(2)).toBe(false);
  });

  it('request ids past the first bytes of the used bits', () => {
    const m = new ReaderMatching();
    m.add(1, [1 << 20]);
    expect(m.isUsed(1 << 20)).toBe(true);
    expect(m.isUsed((1 << 20) + 1)).toBe(false);
    expect(m.isUsed(1 << 24)).toBe(false);
  });
});
