/**
 * The first `limit` of `n` items (0..n-1) in the order `before` defines, in that order: what
 * sorting them all and keeping `limit` gives, in O(n log limit). The request view lists the 200
 * slowest of a trace's requests; sorting all of them (280k for the 1M-call bench file) was a
 * third of the analysis report the index waits for. `before` must be a strict total order.
 */
export function topOrder(n: number, limit: number, before: (a: number, b: number) => boolean): number[] {
  const k = Math.max(0, Math.min(limit, n));
  if (k === 0) return [];
  // A heap whose root is the kept item that comes last: a newcomer that comes before it replaces it.
  const heap: number[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(heap[p]!, heap[i]!)) break;
      [heap[p], heap[i]] = [heap[i]!, heap[p]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let last = i;
      if (l < heap.length && before(heap[last]!, heap[l]!)) last = l;
      if (r < heap.length && before(heap[last]!, heap[r]!)) last = r;
      if (last === i) return;
      [heap[last], heap[i]] = [heap[i]!, heap[last]!];
      i = last;
    }
  };
  for (let x = 0; x < n; x++) {
    if (heap.length < k) {
      heap.push(x);
      up(heap.length - 1);
    } else if (before(x, heap[0]!)) {
      heap[0] = x;
      down(0);
    }
  }
  return heap.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0));
}
