import { describe, expect, it } from 'vitest';
import { seededRandom } from '@kvtrace/trace';
import { testSeed } from '@kvtrace/trace/test-support';
import { topOrder } from './top-order.ts';

describe('topOrder', () => {
  it('is the head of the full sort, ties and NaN included, for any limit', () => {
    const rand = seededRandom(testSeed('top order'));
    for (let round = 0; round < 40; round++) {
      const n = Math.floor(rand() * 3000);
      // Few distinct values, so ties are common; some NaN, which come first (an open request).
      const v = Array.from({ length: n }, () => (rand() < 0.05 ? NaN : Math.floor(rand() * 50)));
      const cmp = (x: number, y: number) => {
        const a = v[x]!, b = v[y]!;
        if (Number.isNaN(a) !== Number.isNaN(b)) return Number.isNaN(a) ? -1 : 1;
        return (Number.isNaN(a) ? 0 : b - a) || x - y;
      };
      const full = Array.from({ length: n }, (_, i) => i).sort(cmp);
      for (const limit of [0, 1, 7, 200, n, n + 5]) expect(topOrder(n, limit, (x, y) => cmp(x, y) < 0), `n ${n} limit ${limit}`).toEqual(full.slice(0, limit));
    }
  });
});
