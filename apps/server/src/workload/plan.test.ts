import { describe, expect, it } from 'vitest';
import { planRequests, planStream } from './plan.ts';

describe('workload plan', () => {
  it('is deterministic per seed, and made lazily: a 100,000-request plan yields its first request at once', () => {
    const a = planRequests({ requests: 50, seed: 3 });
    const b = planRequests({ requests: 50, seed: 3 });
    expect(a.map((r) => r.keys.map((k) => k.id))).toEqual(b.map((r) => r.keys.map((k) => k.id)));
    expect(planRequests({ requests: 50, seed: 4 })[0]!.keys[0]!.id).not.toBe(a[0]!.keys[0]!.id);
    const stream = planStream({ requests: 100_000, seed: 3 });
    // Generators run nothing until asked: the first request comes before the rest exist.
    const first = stream.next();
    expect(first.done).toBe(false);
    expect(first.done ? [] : first.value.keys.map((k) => k.id)).toEqual(a[0]!.keys.map((k) => k.id));
  });

  it('a longer plan starts with the shorter one; follow-ups continue a prompt within the window', () => {
    const short = planRequests({ requests: 200, seed: 9 });
    const long = planRequests({ requests: 400, seed: 9 });
    expect(long.slice(0, 200).map((r) => r.keys.length)).toEqual(short.map((r) => r.keys.length));
    const follow = long.filter((r, i) => i > 0 && r.sharedChunks > 0 && long.slice(0, i).some((p) => p.keys.length === r.sharedChunks && p.keys.every((k, j) => k.id === r.keys[j]!.id)));
    expect(follow.length).toBeGreaterThan(20);
    for (const r of long) expect(r.keys.length).toBeGreaterThanOrEqual(4);
    for (const r of long) expect(r.keys.length).toBeLessThanOrEqual(64);
  });
});
