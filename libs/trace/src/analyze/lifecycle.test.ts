import { describe, expect, it } from 'vitest';
import { Script, key } from './testing.ts';

const A = key(1), B = key(2), C = key(3);

describe('lifecycle pairing', () => {
  it('pairs a write and a full read of one key, with phase durations', () => {
    const s = new Script();
    const r = s.reserve([A]);
    const f = s.finishWrite([A]);
    const p = s.prefetch([A]);
    const e = s.enter([A]);
    const x = s.exit([A]);
    const d = s.release([A]);
    s.a.finish();
    const sum = s.a.lifecycles.summary();
    expect(sum.writes).toEqual({ complete: 1, open: 0 });
    expect(sum.reads).toEqual({ complete: 1, open: 0 });
    expect(sum.phases.write.p50).toBeCloseTo(0.001, 9);
    expect(sum.phases.read.p50).toBeCloseTo(0.003, 9);
    for (const ph of ['read_wait', 'read_body', 'read_release'] as const) expect(sum.phases[ph].p50).toBeCloseTo(0.001, 9);
    expect(Object.values(sum.flagCounts).every((n) => n === 0)).toBe(true);
    const tl = s.a.keyTimeline(s.id(A));
    expect([...tl.calls]).toEqual([r, f, p, e, x, d]);
    expect(tl.lifecycles).toEqual([
      { kind: 'write', calls: [r, f], complete: true },
      { kind: 'read', calls: [p, e, x, d], complete: true },
    ]);
  });

  it('interleaves keys: each key pairs with its own calls', () => {
    const s = new Script();
    const rA = s.reserve([A, B]);
    const rC = s.reserve([C]);
    const fB = s.finishWrite([B]);
    const fAC = s.finishWrite([C, A]);
    s.a.finish();
    expect(s.a.lifecycles.summary().writes).toEqual({ complete: 3, open: 0 });
    expect(s.a.keyTimeline(s.id(A)).lifecycles).toEqual([{ kind: 'write', calls: [rA, fAC], complete: true }]);
    expect(s.a.keyTimeline(s.id(B)).lifecycles).toEqual([{ kind: 'write', calls: [rA, fB], complete: true }]);
    expect(s.a.keyTimeline(s.id(C)).lifecycles).toEqual([{ kind: 'write', calls: [rC, fAC], complete: true }]);
    // Call-level groups: (rA -> fB: 1 key), (rC -> fAC: 1 key), (rA -> fAC: 1 key).
    const g = s.a.lifecycles.groups();
    const rows = Array.from({ length: g.length }, (_, i) => [g.start[i], g.end[i], g.keys[i]]);
    expect(rows).toEqual([[rA, fB, 1], [rC, fAC, 1], [rA, fAC, 1]]);
  });

  it('repeated keys pair FIFO: write twice, read twice, reads overlapping', () => {
    const s = new Script();
    const r1 = s.reserve([A]);
    const r2 = s.reserve([A]);
    const f1 = s.finishWrite([A]);
    const f2 = s.finishWrite([A]);
    const p1 = s.prefetch([A]);
    const p2 = s.prefetch([A]);
    const e1 = s.enter([A]);
    const x1 = s.exit([A]);
    const e2 = s.enter([A]);
    const x2 = s.exit([A]);
    const d1 = s.release([A]);
    const d2 = s.release([A]);
    s.a.finish();
    expect(s.a.keyTimeline(s.id(A)).lifecycles).toEqual([
      { kind: 'write', calls: [r1, f1], complete: true },
      { kind: 'write', calls: [r2, f2], complete: true },
      { kind: 'read', calls: [p1, e1, x1, d1], complete: true },
      { kind: 'read', calls: [p2, e2, x2, d2], complete: true },
    ]);
    const sum = s.a.lifecycles.summary();
    expect(sum.phases.write.count).toBe(2);
    expect(sum.phases.read.count).toBe(2);
    expect(sum.flagCounts.read_never_written).toBe(0);
  });

  it('flags unfinished writes and unreleased reads with their calls, and keeps them open', () => {
    const s = new Script();
    const r = s.reserve([A, B]);
    s.finishWrite([A]);
    const p = s.prefetch([A]);
    const e = s.enter([A]);
    s.a.finish();
    const sum = s.a.lifecycles.summary();
    expect(sum.writes).toEqual({ complete: 1, open: 1 });
    expect(sum.reads).toEqual({ complete: 0, open: 1 });
    expect(sum.flagCounts.leaked_write).toBe(1);
    expect(sum.flagCounts.leaked_read).toBe(1);
    expect(s.a.lifecycles.flags('leaked_write')).toEqual([{ kind: 'leaked_write', keyId: s.id(B), calls: [r] }]);
    expect(s.a.lifecycles.flags('leaked_read')).toEqual([{ kind: 'leaked_read', keyId: s.id(A), calls: [p, e] }]);
    // finish() again (live view) recomputes instead of piling up.
    s.a.finish();
    expect(s.a.lifecycles.summary().flagCounts.leaked_write).toBe(1);
    // A later release closes the open read.
    s.exit([A]);
    s.release([A]);
    s.a.finish();
    expect(s.a.lifecycles.summary().flagCounts.leaked_read).toBe(0);
    expect(s.a.lifecycles.summary().reads).toEqual({ complete: 1, open: 0 });
  });

  it('flags exit without enter, enter without prefetch, release without prefetch, finish without reserve', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    const x = s.exit([A]);
    const f = s.finishWrite([B]);
    const d = s.release([C]);
    const e = s.enter([A]);
    s.a.finish();
    const l = s.a.lifecycles;
    expect(l.flags('exit_without_enter')).toEqual([{ kind: 'exit_without_enter', keyId: s.id(A), calls: [x] }]);
    expect(l.flags('finish_without_reserve')).toEqual([{ kind: 'finish_without_reserve', keyId: s.id(B), calls: [f] }]);
    expect(l.flags('release_without_prefetch')).toEqual([{ kind: 'release_without_prefetch', keyId: s.id(C), calls: [d] }]);
    expect(l.flags('enter_without_prefetch')).toEqual([{ kind: 'enter_without_prefetch', keyId: s.id(A), calls: [e] }]);
    // The enter opened a read that is never released.
    expect(l.flags('leaked_read')).toEqual([{ kind: 'leaked_read', keyId: s.id(A), calls: [e] }]);
  });

  it('flags reads of keys never written before them, once per read', () => {
    const s = new Script();
    const p = s.prefetch([A, B]);
    s.enter([A, B]);
    s.exit([A, B]);
    s.release([A, B]);
    s.reserve([A]);
    s.finishWrite([A]);
    s.prefetch([A]);
    s.a.finish();
    const groups = s.a.lifecycles.flagGroups('read_never_written');
    expect(groups).toEqual([{ kind: 'read_never_written', calls: [p], keyIds: [s.id(A), s.id(B)] }]);
  });

  it('takes prefetch keys from a PrefetchRequestSpec and counts unknown shapes', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    const p = s.prefetchSpec([A], 'req-spec');
    const e = s.enter([A]);
    const x = s.exit([A]);
    const d = s.release([A]);
    s.call('submit_prefetch_task', { requests: 'something else' });
    s.call('finish_write', { objs: 42 });
    s.a.finish();
    expect(s.a.index.keyShapeOf(p)).toBe(2);
    expect(s.a.keyTimeline(s.id(A)).lifecycles[1]).toEqual({ kind: 'read', calls: [p, e, x, d], complete: true });
    expect(s.a.lifecycles.summary().unknownShape).toBe(2);
    expect([...s.a.filter({ text: 'req-spec' })]).toEqual([p]);
  });

  it('releases the oldest exited read first, then an unread prefetch', () => {
    const s = new Script();
    s.reserve([A]);
    s.finishWrite([A]);
    const p1 = s.prefetch([A]);
    const p2 = s.prefetch([A]);
    // p1 is never read; p2's read is entered and exited, so the first release pairs with it.
    const e = s.enter([A]);
    const x = s.exit([A]);
    const d1 = s.release([A]);
    const d2 = s.release([A]);
    s.a.finish();
    const lc = s.a.keyTimeline(s.id(A)).lifecycles.filter((l) => l.kind === 'read');
    // FIFO enter pairs with the oldest prefetch (p1); then p2 is released unread.
    expect(lc).toEqual([
      { kind: 'read', calls: [p1, e, x, d1], complete: true },
      { kind: 'read', calls: [p2, -1, -1, d2], complete: true },
    ]);
  });
});
