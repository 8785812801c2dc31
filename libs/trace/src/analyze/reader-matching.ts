/** Reads waiting for their possible requests to be used up; older ones are forgotten (see add). */
const MAX_PENDING = 256;
/** The most requests a read's connected set may have to be tried as a whole (see add). */
const MAX_COMPONENT = 64;

/** Requests proven to have made a group of reads between them, and those reads (their enter calls), both ascending. */
export interface ReadGroup {
  requests: number[];
  reads: number[];
}

interface Pending {
  call: number;
  /** Requests that can have made this read and are not yet proven to have made another. */
  cands: number[];
  alive: boolean;
  /** The componentOf search that last reached this read (its `epoch`). */
  seen: number;
}

/**
 * Which requests are proven to have been read, whichever read each one made, when several
 * requests list identical keys and entry-only records cannot pair them.
 *
 * A request reads at most once, and a read was made by one of the prefetches that can have made it
 * (ReaderBound.candidates). So when the reads whose candidates all lie in a set U of requests are
 * exactly |U| many, each request of U made one of them (Hall's condition is tight on U): every
 * request of U was read, even though which read is whose stays unknown. Those requests can then
 * make no other read, so they are taken out of every other read's candidates, which may make
 * another set tight in turn (one read left with one candidate is the simplest case).
 *
 * Forgetting a pending read (past MAX_PENDING) only makes a set look less tight, never tight
 * wrongly: counting fewer reads of U cannot reach |U| sooner. More reads than requests in U
 * contradicts the premises (a trace that started mid-run, or reads of unrecorded requests): no
 * conclusion is drawn from it.
 */
export class ReaderMatching {
  /** One bit per span: proven to have made a read (a Set of them cost ~30 bytes per read). */
  private used = new Uint8Array(1 << 10);
  private readonly pending: Pending[] = [];
  /** Pending reads by each of their candidates. */
  private readonly bySpan = new Map<number, Pending[]>();
  private head = 0;
  private alive = 0;
  /** The fast path's group (one request, one read), reused. */
  private readonly one = [0];
  private readonly oneRead = [0];

  /** Whether request `s` is proven to have made a read. */
  isUsed(s: number): boolean {
    const i = s >>> 3;
    return i < this.used.length && (this.used[i]! & (1 << (s & 7))) !== 0;
  }

  private markUsed(s: number): void {
    const i = s >>> 3;
    if (i >= this.used.length) {
      const next = new Uint8Array(Math.max(i + 1, this.used.length * 2));
      next.set(this.used);
      this.used = next;
    }
    this.used[i]! |= 1 << (s & 7);
  }

  /**
   * A read (enter) at `call` that only the requests cands[0, count) can have made (all of them: see
   * ReaderBound.candidates). Calls `onGroup` for each group this read completes, its requests
   * marked used (the lists are valid during the call only).
   */
  add(call: number, cands: ArrayLike<number>, onGroup: (requests: readonly number[], reads: readonly number[]) => void, count = cands.length): void {
    let unused = 0, last = -1, shared = false;
    for (let i = 0; i < count; i++) {
      const s = cands[i]!;
      if (this.isUsed(s)) continue;
      unused++;
      last = s;
      if (this.bySpan.has(s)) shared = true;
    }
    if (unused === 0) return;
    // The common case, one request that no pending read lists: its group is this read alone.
    if (unused === 1 && !shared) {
      this.markUsed(last);
      this.one[0] = last;
      this.oneRead[0] = call;
      onGroup(this.one, this.oneRead);
      return;
    }
    const c = new Array<number>(unused);
    for (let i = 0, j = 0; i < count; i++) if (!this.isUsed(cands[i]!)) c[j++] = cands[i]!;
    const p: Pending = { call, cands: c, alive: true, seen: 0 };
    this.pending.push(p);
    this.index(p);
    this.alive++;
    while (this.alive > MAX_PENDING) this.forget(this.pending[this.head++]!);
    while (this.head < this.pending.length && !this.pending[this.head]!.alive) this.head++;
    if (this.head > MAX_PENDING) {
      this.pending.splice(0, this.head);
      this.head = 0;
    }
    // No pending read shares a candidate: this read's connected set is its own candidates, more
    // than one, with one read in it: nothing is tight (the search below would find just that).
    if (!shared) return;
    const groups: ReadGroup[] = [];
    // The sets tried first are candidates of single reads; a tight set may also be their union.
    // All the requests connected to a read is the one that matters: once every one of them was
    // read, it is tight (each read's candidates lie in it, each of its requests made one). So the
    // connected set of every read that changed (this one, and those a group reduced) is tried too.
    let changed = [p];
    while (changed.length > 0) {
      const next: Pending[] = [];
      const queue = changed.map((r) => r.cands);
      this.settle(queue, groups, next);
      for (const r of changed) {
        if (!r.alive) continue;
        const component = this.componentOf(r);
        if (component !== null && component.length > r.cands.length) this.settle([component], groups, next);
      }
      changed = next.filter((r) => r.alive);
    }
    for (const g of groups) onGroup(g.requests, g.reads);
  }

  /**
   * Tries each set of requests in `queue` for tightness, and the sets its groups leave behind;
   * the reads whose candidates a group reduced go to `reduced`.
   */
  private settle(queue: number[][], groups: ReadGroup[], reduced: Pending[]): void {
    while (queue.length > 0) {
      const u = queue.pop()!.filter((s) => !this.isUsed(s));
      if (u.length === 0) continue;
      const within = this.readsWithin(u);
      if (within.length !== u.length) continue;
      for (const r of within) this.forget(r);
      for (const s of u) this.markUsed(s);
      groups.push({ requests: ascending(u), reads: ascending(within.map((r) => r.call)) });
      // The requests of u are spent: the reads that listed one of them have fewer candidates now.
      for (const s of u) {
        for (const r of this.bySpan.get(s)?.slice() ?? []) {
          this.reduce(r, queue);
          reduced.push(r);
        }
      }
    }
  }

  /**
   * The requests connected to pending read p through pending reads sharing candidates, or null past
   * MAX_COMPONENT of them (a bound on the work per read; a larger set is simply not tried).
   */
  private componentOf(p: Pending): number[] | null {
    // Scratch kept between calls (a Set and arrays per read were most of what the merge allocated).
    const spans = this.spans;
    spans.clear();
    const epoch = ++this.epoch;
    p.seen = epoch;
    const frontier = this.frontier;
    let top = 0;
    for (const x of p.cands) {
      spans.add(x);
      frontier[top++] = x;
    }
    while (top > 0) {
      const list = this.bySpan.get(frontier[--top]!);
      if (list === undefined) continue;
      for (const r of list) {
        if (r.seen === epoch) continue;
        r.seen = epoch;
        for (const x of r.cands) {
          if (spans.has(x)) continue;
          if (spans.size >= MAX_COMPONENT) return null;
          spans.add(x);
          frontier[top++] = x;
        }
      }
    }
    return [...spans];
  }
  private readonly spans = new Set<number>();
  private readonly frontier: number[] = [];
  private epoch = 0;

  /** Drops the spent candidates of pending read r; a read left with none contradicts the premises and is dropped. */
  private reduce(r: Pending, queue: number[][]): void {
    if (!r.alive) return;
    this.unindex(r);
    r.cands = r.cands.filter((s) => !this.isUsed(s));
    if (r.cands.length === 0) {
      r.alive = false;
      this.alive--;
      return;
    }
    this.index(r);
    queue.push(r.cands);
  }

  /** The pending reads whose candidates all lie in u (each found once: under its first candidate). */
  private readsWithin(u: readonly number[]): Pending[] {
    const out: Pending[] = [];
    for (const s of u) {
      for (const r of this.bySpan.get(s) ?? []) {
        if (r.cands[0] === s && r.cands.every((x) => u.includes(x))) out.push(r);
      }
    }
    return out;
  }

  private forget(r: Pending): void {
    if (!r.alive) return;
    r.alive = false;
    this.alive--;
    this.unindex(r);
  }

  private index(r: Pending): void {
    for (const s of r.cands) {
      const list = this.bySpan.get(s);
      if (list) list.push(r);
      else this.bySpan.set(s, [r]);
    }
  }

  private unindex(r: Pending): void {
    for (const s of r.cands) {
      const list = this.bySpan.get(s);
      if (!list) continue;
      const i = list.indexOf(r);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.bySpan.delete(s);
    }
  }
}

/**
 * Sorts a short list of numbers ascending, in place (a group has at most MAX_COMPONENT): the
 * built-in sort with a comparator allocated a work area per call, most of what the groups cost.
 */
function ascending(a: number[]): number[] {
  for (let i = 1; i < a.length; i++) {
    const v = a[i]!;
    let j = i;
    for (; j > 0 && a[j - 1]! > v; j--) a[j] = a[j - 1]!;
    a[j] = v;
  }
  return a;
}
