import { describe, expect, it } from 'vitest';
import { SM_METHODS } from '../format/spec.ts';
import { PrefetchMode, TrimPolicy } from '../model.ts';
import { spanT0, spanT1, spanTEnter } from './request-report.ts';
import { LAYOUT, Script, key } from './testing.ts';

const A = key(1), B = key(2), C = key(3), D = key(4), E = key(5);

/** The keys flagged with a kind, as key ids. */
function flagged(s: Script, kind: string): number[] {
  return s.a
    .flagGroups()
    .filter((g) => g.kind === kind)
    .flatMap((g) => g.keyIds)
    .sort((x, y) => x - y);
}

describe('request lifecycles (rules of request-tracker.ts)', () => {
  it('one read request: submit -> enter -> exit -> finish is one span with its phases; unread keys are misses', () => {
    const s = new Script();
    s.reserve([A, B]);
    s.finishWrite([A, B]);
    const p = s.prefetch([A, B, C], 'req-1');
    const e = s.enter([A, B]);
    const x = s.exit([A, B]);
    const f = s.release([A, B]);
    const sum = s.a.summary();
    expect(sum.requests).toMatchObject({ total: 1, with_hits: 1, all_miss: 0, undecided: 0, leaked: 0, writes: 1 });
    expect(sum.lifecycles).toMatchObject({ reads_paired: 2, misses: 1, reads_leaked: 0, reads_undecided: 0, writes_paired: 2 });
    expect(Object.values(sum.flagCounts).every((n) => n === 0)).toBe(true);
    for (const ph of ['read_wait', 'read_body', 'read_release'] as const) {
      expect(sum.phases[ph].count).toBe(1);
      expect(sum.phases[ph].p50).toBeCloseTo(0.001, 9);
    }
    expect(sum.phases.read.p50).toBeCloseTo(0.003, 9);
    const spans = s.a.spans();
    const r = spans.kind.findIndex((k) => k === 0);
    expect([spans.start[r], spans.enter[r], spans.exit[r], spans.end[r], spans.keys[r], spans.found[r]]).toEqual([p, e, x, f, 3, 2]);
    expect(s.a.index.erids.get(spans.erid[r]!)).toBe('req-1');
    expect(s.a.spanDurationOfCall(e)).toBeCloseTo(0.003, 9);
    // Follow a key: the write that made it, then the read that released it.
    expect(s.a.keyTimeline(s.id(A)).spans.map((k) => [k.kind, k.keyFate])).toEqual([
      ['write', 'written'],
      ['read', 'released'],
    ]);
    expect(s.a.keyTimeline(s.id(C)).spans.map((k) => k.keyFate)).toEqual(['miss']);
  });

  it('spans are a snapshot while calls come, and views of the tracker\'s columns once trimmed; times are read at their calls', () => {
    const s = new Script();
    const p = s.prefetch([A, B], 'r1');
    const e = s.enter([A, B]);
    const before = s.a.spans();
    const open = before.kind.findIndex((k) => k === 0);
    expect(before.end[open]).toBe(-1);
    expect(spanT1(before, open)).toBeNaN();
    expect(spanTEnter(before, open)).toBe(s.a.index.timeOf(e));
    s.exit([A, B]);
    const f = s.release([A, B]);
    // A live trace's snapshot does not change under its holder when later calls close the span.
    expect(before.end[open]).toBe(-1);
    const now = s.a.spans();
    expect(now.end[open]).toBe(f);
    expect(spanT1(now, open)).toBe(s.a.index.timeOf(f));
    expect(now.start.buffer).not.toBe(s.a.requests.spanColumns().start.buffer);
    s.a.trim();
    // Complete: no copy of any span column (the request view of a 1M-call trace held 17 MB of them).
    const done = s.a.spans();
    const cols = s.a.requests.spanColumns();
    for (const k of ['kind', 'start', 'enter', 'exit', 'end', 'keys', 'found', 'erid'] as const) expect(done[k].buffer).toBe(cols[k].buffer);
    expect(Array.from(done.end)).toEqual(Array.from(now.end));
    expect(spanT0(done, open)).toBe(s.a.index.timeOf(p));
    expect(s.a.spanDurationOfCall(e)).toBe(s.a.index.timeOf(f) - s.a.index.timeOf(p));
  });

  it('a snapshot keeps its times while the index grows past it (the time column moves to a new buffer)', () => {
    const s = new Script();
    const p = s.prefetch([A, B], 'r1');
    const e = s.enter([A, B]);
    const snap = s.a.spans();
    const r = snap.kind.findIndex((k) => k === 0);
    const t0 = s.a.index.timeOf(p), tEnter = s.a.index.timeOf(e);
    const firstTimes = snap.time;
    // Calls that change no span (no revision: the snapshot stays cached) and grow the time column
    // by several steps; with transfer (growable.ts) each step detaches the array before it.
    for (let i = 0; i < 40_000; i++) s.call('get_stats', {});
    expect(firstTimes.length, 'the column moved to a new buffer').toBe(0);
    expect(spanT0(snap, r)).toBe(t0);
    expect(spanTEnter(snap, r)).toBe(tEnter);
    expect(s.a.spanDurationOfCall(e)).toBeNaN();
    expect(s.a.spans().time[e]).toBe(tEnter);
  });

  it('a read per request, not per key: a miss does not shift the pairing of later requests', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    // Request 1 found nothing (B absent): it is never read. Request 2 finds A.
    s.prefetch([B, A], 'r1');
    const p2 = s.prefetch([A], 'r2');
    const e2 = s.enter([A]);
    s.exit([A]);
    s.release([A]);
    // The miss is written by request 1 afterwards: that proves B was absent, so r1 found nothing.
    s.reserve([B]);
    s.finishWrite([B]);
    const sum = s.a.summary();
    expect(sum.requests).toMatchObject({ total: 2, with_hits: 1, all_miss: 1, undecided: 0 });
    expect(sum.lifecycles).toMatchObject({ reads_leaked: 0, reads_undecided: 0 });
    expect(s.a.requests.spanOfCall(e2)).toBe(s.a.requests.spanOfCall(p2));
    expect(sum.phases.read_wait.max).toBeCloseTo(0.001, 9);
  });

  it('a key read and never given back is leaked; one submitted and never read is undecided', () => {
    const s = new Script();
    s.reserve([A, B, C]);
    s.finishWrite([A, B, C]);
    const p = s.prefetch([A, B]);
    const e = s.enter([A, B]);
    const x = s.exit([A, B]);
    s.prefetch([C]);
    const sum = s.a.summary();
    expect(sum.lifecycles).toMatchObject({ reads_leaked: 2, reads_undecided: 1 });
    expect(sum.requests).toMatchObject({ leaked: 1, undecided: 1 });
    expect(flagged(s, 'read_leaked')).toEqual([s.id(A), s.id(B)].sort((a, b) => a - b));
    expect(flagged(s, 'read_undecided')).toEqual([s.id(C)]);
    const g = s.a.flagGroups('read_leaked')[0]!;
    expect(g.calls).toEqual([p, e, x]);
  });

  it('extra_count: a release giving back fewer locks than the submit took leaves the rest held', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    s.call(SM_METHODS.submitPrefetchTask, { keys: [A], layout_desc: LAYOUT, extra_count: 2, external_request_id: '' });
    s.enter([A]);
    s.exit([A]);
    s.call(SM_METHODS.finishReadPrefetched, { keys: [A], extra_count: 1 });
    expect(s.a.summary().lifecycles).toMatchObject({ reads_leaked: 1, reads_paired: 0 });
    s.call(SM_METHODS.finishReadPrefetched, { keys: [A], extra_count: 0 });
    expect(s.a.summary().lifecycles).toMatchObject({ reads_leaked: 0, reads_paired: 1 });
  });

  it('WARM prefetches take no lock: never leaked, never undecided', () => {
    const s = new Script();
    s.call(SM_METHODS.submitPrefetchTask, { keys: [A, B], layout_desc: LAYOUT, extra_count: 0, external_request_id: '', policy: TrimPolicy.PREFIX, mode: PrefetchMode.WARM });
    const sum = s.a.summary();
    expect(sum.requests).toMatchObject({ total: 1, warm: 1, undecided: 0 });
    expect(sum.lifecycles).toMatchObject({ reads_leaked: 0, reads_undecided: 0 });
  });

  it('writes: a finish of part of a reservation closes it, the rest were refused; an unfinished one is undecided, never leaked', () => {
    const s = new Script();
    s.reserve([A, B, C]);
    s.finishWrite([A, B]);
    s.reserve([D, E]);
    const sum = s.a.summary();
    expect(sum.lifecycles).toMatchObject({ writes_paired: 2, writes_refused: 1, writes_leaked: 0, writes_undecided: 2 });
    expect(flagged(s, 'write_undecided')).toEqual([s.id(D), s.id(E)].sort((a, b) => a - b));
    expect(sum.requests.writes).toBe(2);
  });

  it('a later read proves an open reservation was refused; a later finished write proves an unread submit missed', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    s.reserve([A]); // refused: A exists (mode new)
    s.prefetch([A]);
    s.enter([A]);
    s.exit([A]);
    s.release([A]);
    s.prefetch([B, C]); // never read
    s.reserve([B]);
    s.finishWrite([B]); // B was absent: PREFIX stops at B, so C was not locked either
    const sum = s.a.summary();
    expect(sum.lifecycles).toMatchObject({ writes_undecided: 0, reads_undecided: 0, reads_leaked: 0 });
    expect(sum.requests.all_miss).toBe(1);
  });

  it('a read of keys no request submitted, an exit without an enter, a release holding nothing, a finish without a reservation are anomalies, counted once per key', () => {
    const s = new Script();
    s.enter([A]);
    s.exit([B]);
    s.release([C]);
    s.release([C]);
    s.finishWrite([D]);
    const f = s.a.summary().flagCounts;
    expect(f).toMatchObject({ enter_without_submit: 1, exit_without_enter: 1, release_without_lock: 1, finish_without_reserve: 1 });
    // A read proves a lock was taken (by a request submitted before the trace began): never given back, it is leaked.
    expect(flagged(s, 'read_leaked')).toEqual([s.id(A)]);
  });

  it('an anomaly is what the trace proves: an exit once exits of its keys outnumber their reads, a read once every request that could have made it made another', () => {
    const s = new Script();
    s.prefetch([A]);
    s.prefetch([A]);
    s.enter([A]);
    s.enter([A]);
    s.exit([A]);
    s.exit([A]);
    expect(s.a.summary().flagCounts.exit_without_enter).toBe(0);
    s.exit([A]);
    expect(s.a.summary().flagCounts.exit_without_enter).toBe(1);
    // Both requests listing A are proven to have made a read each: a third read has no request.
    expect(s.a.summary().flagCounts.enter_without_submit).toBe(0);
    s.enter([A]);
    const sum = s.a.summary();
    expect(sum.flagCounts.enter_without_submit).toBe(1);
    expect(sum.requests.unpaired_reads).toBe(0);
  });

  it('two requests with the same keys: each read and release finds one of them, nothing is flagged', () => {
    const s = new Script();
    s.reserve([A, B]);
    s.finishWrite([A, B]);
    s.prefetch([A, B], 'x');
    s.prefetch([A, B], 'y');
    s.enter([A, B]);
    s.enter([A, B]);
    s.exit([A, B]);
    s.exit([A, B]);
    s.release([A, B]);
    s.release([A, B]);
    const sum = s.a.summary();
    expect(sum.requests).toMatchObject({ total: 2, with_hits: 2 });
    expect(sum.lifecycles).toMatchObject({ reads_paired: 4, reads_leaked: 0, reads_undecided: 0 });
    expect(Object.values(sum.flagCounts).every((n) => n === 0)).toBe(true);
  });

  /** Three requests share a 40-key prefix (all written); the first read finds 25 keys, the others 40. */
  function threeOverOnePrefix(reads: number): { s: Script; ks: ReturnType<typeof key>[] } {
    const s = new Script();
    const ks = Array.from({ length: 53 }, (_, i) => key(1000 + i));
    s.reserve(ks.slice(0, 40));
    s.finishWrite(ks.slice(0, 40));
    s.prefetch(ks.slice(0, 42), 'a');
    s.prefetch(ks.slice(0, 47), 'b');
    s.prefetch(ks.slice(0, 53), 'c');
    for (const n of [25, 40, 40].slice(0, reads)) {
      s.enter(ks.slice(0, n));
      s.exit(ks.slice(0, n));
      s.release(ks.slice(0, n));
    }
    return { s, ks };
  }

  it('three requests over one prefix, three reads: the reads use up every request, so nothing is held, whichever read was whose', () => {
    const { s } = threeOverOnePrefix(3);
    const sum = s.a.summary();
    expect(sum.lifecycles).toMatchObject({ reads_paired: 105, reads_leaked: 0, reads_undecided: 0 });
    expect(sum.requests).toMatchObject({ total: 3, with_hits: 3, undecided: 0, leaked: 0 });
    expect(flagged(s, 'read_undecided')).toEqual([]);
  });

  it('the same with one request never read: the 40 keys it may hold stay undecided (two reads use up no set of requests)', () => {
    const { s, ks } = threeOverOnePrefix(2);
    const undecided = flagged(s, 'read_undecided');
    for (const k of ks.slice(0, 40)) expect(undecided).toContain(s.id(k));
    expect(flagged(s, 'read_leaked')).toEqual([]);
  });

  it('a key written after a request was submitted: cutting that request\'s unread keys leaves the key\'s later requests counted', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    s.prefetch([A, B], 'x'); // B is absent: x locks A only
    s.reserve([B]);
    s.finishWrite([B]);
    s.prefetch([B], 'y'); // y locks B, and never reads or releases it
    s.enter([A]); // only x can have read A: its keys after A were never locked
    s.exit([A]);
    s.release([A]);
    expect(s.a.requests.possibleReadLocks(s.id(B))).toBe(1);
    expect(flagged(s, 'read_undecided')).toEqual([s.id(B)]);
  });

  it('several traces in one index: the same ObjectKey in two servers is two objects, their locks stay apart', () => {
    const s = new Script();
    s.a.index.setSource('server-a');
    s.reserve([A]);
    s.finishWrite([A]);
    s.prefetch([A]);
    s.enter([A]);
    s.exit([A]);
    s.a.index.setSource('server-b');
    s.reserve([A]);
    s.finishWrite([A]);
    s.prefetch([A]);
    s.enter([A]);
    s.exit([A]);
    s.release([A]);
    const sum = s.a.summary();
    expect(sum.lifecycles).toMatchObject({ reads_leaked: 1, reads_paired: 1, writes_paired: 2 });
    const [g] = s.a.flagGroups('read_leaked');
    expect(s.a.index.sourceOf(g!.calls[0]!)).toBe(0);
    expect(s.a.index.sources).toEqual(['server-a', 'server-b']);
    expect(s.a.index.keys.size).toBe(2);
  });

  it('calls must arrive in trace order', () => {
    const s = new Script();
    s.prefetch([A]);
    expect(() => s.a.requests.add({ call: 5, role: 0, shape: 0, keys: [], extra: 0, opts: 0, erid: 0 })).toThrow(/in order/);
  });

  it('a span\'s counts past 127 and 32,767 keys are whole: its per-span columns widen from one byte', () => {
    for (const n of [300, 40_000]) {
      const s = new Script();
      const keys = Array.from({ length: n }, (_, i) => key(10 + i));
      // All but the last 7 keys are written and then read; those 7 are misses.
      s.reserve(keys.slice(0, n - 7));
      s.finishWrite(keys.slice(0, n - 7));
      s.prefetch(keys, 'wide');
      s.enter(keys.slice(0, n - 7));
      s.exit(keys.slice(0, n - 7));
      s.release(keys.slice(0, n - 7));
      const sum = s.a.summary();
      expect(sum.lifecycles).toMatchObject({ reads_paired: n - 7, misses: 7, reads_leaked: 0, reads_undecided: 0, writes_paired: n - 7 });
      expect(sum.requests).toMatchObject({ total: 1, with_hits: 1, leaked: 0, undecided: 0 });
      const spans = s.a.spans();
      const r = spans.kind.findIndex((k) => k === 0);
      expect([spans.keys[r], spans.found[r]]).toEqual([n, n - 7]);
      expect(spans.keys.BYTES_PER_ELEMENT).toBe(n > 32_767 ? 4 : 2);
    }
  });
});
