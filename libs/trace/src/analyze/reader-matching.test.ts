import { describe, expect, it } from 'vitest';
import { ReaderMatching, type ReadGroup } from './reader-matching.ts';

/** The groups a read completes (ReaderMatching.add reports them to a callback). */
function add(m: ReaderMatching, call: number, cands: number[]): ReadGroup[] {
  const out: ReadGroup[] = [];
  m.add(call, cands, (requests, reads) => out.push({ requests: [...requests], reads: [...reads] }));
  return out;
}

describe('ReaderMatching: requests proven read when the reads that only they can have made are as many as they are', () => {
  it('one candidate: the read is that request\'s at once', () => {
    const m = new ReaderMatching();
    expect(add(m, 10, [4])).toEqual([{ requests: [4], reads: [10] }]);
    expect(m.isUsed(4)).toBe(true);
    expect(m.isUsed(5)).toBe(false);
  });

  it('three reads fitting the same three requests complete the group only with the third', () => {
    const m = new ReaderMatching();
    expect(add(m, 10, [1, 2, 3])).toEqual([]);
    expect(add(m, 11, [1, 2, 3])).toEqual([]);
    expect([1, 2, 3].some((s) => m.isUsed(s))).toBe(false);
    expect(add(m, 12, [3, 2, 1])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect([1, 2, 3].every((s) => m.isUsed(s))).toBe(true);
  });

  it('a group spends its requests: a read that could also have been one of theirs is left with the rest, in a chain', () => {
    const m = new ReaderMatching();
    // Read 10 fits 1, 2 or 3; reads 11 and 12 fit only 1 or 2.
    expect(add(m, 10, [1, 2, 3])).toEqual([]);
    expect(add(m, 11, [1, 2])).toEqual([]);
    const groups = add(m, 12, [1, 2]);
    // {1, 2} made 11 and 12, so 10 was 3's.
    expect(groups).toEqual([
      { requests: [1, 2], reads: [11, 12] },
      { requests: [3], reads: [10] },
    ]);
    // A later read that lists a spent request has only the others to choose from.
    expect(add(m, 13, [2, 7])).toEqual([{ requests: [7], reads: [13] }]);
  });

  it('reads whose candidates overlap in a ring: the three requests are tight together though no read lists all three', () => {
    const m = new ReaderMatching();
    expect(add(m, 10, [1, 2])).toEqual([]);
    expect(add(m, 11, [2, 3])).toEqual([]);
    expect(add(m, 12, [1, 3])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect([1, 2, 3].every((s) => m.isUsed(s))).toBe(true);
  });

  it('a group that spends a request can make the rest of its connected set tight', () => {
    const m = new ReaderMatching();
    expect(add(m, 1, [1, 2, 3])).toEqual([]);
    expect(add(m, 2, [4, 5])).toEqual([]);
    expect(add(m, 3, [1, 4])).toEqual([]);
    expect(add(m, 4, [2, 5])).toEqual([]);
    // Read 5 can only be 3's, which leaves read 1 with 1 or 2: then reads 1-4 fit requests 1, 2, 4, 5.
    expect(add(m, 5, [3])).toEqual([
      { requests: [3], reads: [5] },
      { requests: [1, 2, 4, 5], reads: [1, 2, 3, 4] },
    ]);
  });

  it('fewer reads than requests prove nothing; more reads than requests contradict the premises and prove nothing', () => {
    const m = new ReaderMatching();
    expect(add(m, 10, [1, 2])).toEqual([]);
    expect(add(m, 11, [3, 4, 5])).toEqual([]);
    expect(add(m, 12, [3, 4, 5])).toEqual([]);
    expect([1, 2, 3, 4, 5].some((s) => m.isUsed(s))).toBe(false);
    // Three reads within two requests, none of the pairs tight before the third came: impossible if
    // each request reads once (the trace broke a premise), so none of them is called read.
    const n = new ReaderMatching();
    expect(add(n, 10, [1, 2, 3])).toEqual([]);
    expect(add(n, 11, [1, 2, 3])).toEqual([]);
    expect(add(n, 12, [1, 2, 3])).toEqual([{ requests: [1, 2, 3], reads: [10, 11, 12] }]);
    expect(add(n, 13, [1, 2, 3])).toEqual([]);
  });

  it('a read no request can have made, or whose requests are all spent, is ignored', () => {
    const m = new ReaderMatching();
    expect(add(m, 10, [])).toEqual([]);
    add(m, 11, [1]);
    expect(add(m, 12, [1])).toEqual([]);
    expect(add(m, 13, [2])).toEqual([{ requests: [2], reads: [13] }]);
  });

  it('a pending read forgotten past the window never makes a group tight (fewer reads counted)', () => {
    const m = new ReaderMatching();
    // Read 1 fits requests 1 or 2; then 300 reads of other, disjoint pairs push it out of the window.
    add(m, 1, [1, 2]);
    for (let i = 0; i < 300; i++) add(m, 100 + i, [1000 + 3 * i, 1001 + 3 * i]);
    // Read 2 also fits 1 or 2: with read 1 remembered the pair would be tight; forgotten, it is not.
    expect(add(m, 2, [1, 2])).toEqual([]);
    expect(m.isUsed(1) || m.isUsed(2)).toBe(false);
  });

  it('only the first `count` candidates count (the tracker refills one array, never truncated); spent ones among them are skipped', () => {
    const m = new ReaderMatching();
    const groups: ReadGroup[] = [];
    const onGroup = (requests: readonly number[], reads: readonly number[]) => void groups.push({ requests: [...requests], reads: [...reads] });
    const cands = [1, 2, 9, 9];
    // Two live entries: requests 9 left over from an earlier read are not candidates.
    m.add(10, cands, onGroup, 2);
    cands[0] = 2;
    cands[1] = 1;
    m.add(11, cands, onGroup, 2);
    expect(groups).toEqual([{ requests: [1, 2], reads: [10, 11] }]);
    expect(m.isUsed(9)).toBe(false);
    // A read whose candidates are spent but one, which no pending read lists, is that one's.
    groups.length = 0;
    cands[0] = 1;
    cands[1] = 2;
    cands[2] = 5;
    m.add(12, cands, onGroup, 3);
    expect(groups).toEqual([{ requests: [5], reads: [12] }]);
  });

  it('request ids past the first bytes of the used bits', () => {
    const m = new ReaderMatching();
    add(m, 1, [1 << 20]);
    expect(m.isUsed(1 << 20)).toBe(true);
    expect(m.isUsed((1 << 20) + 1)).toBe(false);
    expect(m.isUsed(1 << 24)).toBe(false);
  });
});
