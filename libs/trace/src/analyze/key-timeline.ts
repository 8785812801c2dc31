import type { CallIndex } from './call-index.ts';
import { LifecycleTracker } from './lifecycle.ts';
import type { KeyTimeline } from './types.ts';

/**
 * One key's calls, lifecycles and flags, for the "follow this key" view. Re-pairs just that key's
 * calls (its posting list) with a fresh tracker, so the whole-trace tracker never keeps
 * per-lifecycle objects; the result is the same because pairing is per key.
 */
export function keyTimeline(index: CallIndex, keyId: number): KeyTimeline {
  const calls = index.callsOfKey(keyId);
  const t = new LifecycleTracker({ keepLifecycles: true });
  const one = [0];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const m = index.methodOf(c);
    t.add(c, index.methods.role(m), index.timeOf(c), one, index.keyShapeOf(c));
  }
  t.finish();
  return {
    keyId,
    calls,
    lifecycles: t.lifecycles ?? [],
    flags: t.flags().map((f) => ({ ...f, keyId })),
  };
}
