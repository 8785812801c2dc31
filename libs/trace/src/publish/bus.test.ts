import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.ts';

const manual = () => {
  const q: (() => void)[] = [];
  return { schedule: (f: () => void) => void q.push(f), run: () => q.splice(0).forEach((f) => f()), pending: () => q.length };
};

describe('event bus', () => {
  it('delivers off the caller path, in order', async () => {
    const bus = new EventBus<number>();
    const got: number[] = [];
    bus.subscribe((e) => got.push(e));
    bus.publish(1);
    bus.publish(2);
    expect(got).toEqual([]);
    await bus.whenIdle();
    expect(got).toEqual([1, 2]);
  });

  it('drops new events when full and counts them (bounded memory)', () => {
    const s = manual();
    const bus = new EventBus<number>({ capacity: 3, schedule: s.schedule });
    const got: number[] = [];
    bus.subscribe((e) => got.push(e));
    const accepted = [1, 2, 3, 4, 5].map((n) => bus.publish(n));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(bus.depth).toBe(3);
    expect(bus.stats).toMatchObject({ dropped: 2, published: 3, depth: 3, capacity: 3 });
    s.run();
    expect(got).toEqual([1, 2, 3]);
    expect(bus.depth).toBe(0);
    bus.publish(6);
    s.run();
    expect(got).toEqual([1, 2, 3, 6]);
  });

  it('isolates subscribers: one throwing affects no other', () => {
    const s = manual();
    const errors: unknown[] = [];
    const bus = new EventBus<number>({ schedule: s.schedule, onListenerError: (e) => errors.push(e) });
    const got: number[] = [];
    bus.subscribe(() => {
      throw new Error('bad subscriber');
    });
    bus.subscribe((e) => got.push(e));
    expect(bus.publish(1)).toBe(true);
    s.run();
    expect(got).toEqual([1]);
    expect(bus.listenerErrors).toBe(1);
    expect(errors).toHaveLength(1);
  });

  it('subscriptions are disposable (also with `using`)', () => {
    const s = manual();
    const bus = new EventBus<number>({ schedule: s.schedule });
    const got: number[] = [];
    {
      using _sub = bus.subscribe((e) => got.push(e));
      bus.publish(1);
      s.run();
    }
    bus.publish(2);
    s.run();
    expect(got).toEqual([1]);
  });

  it('schedules one drain per burst', () => {
    const s = manual();
    const bus = new EventBus<number>({ schedule: s.schedule });
    for (let i = 0; i < 100; i++) bus.publish(i);
    expect(s.pending()).toBe(1);
  });

  it('refuses a nonsensical capacity', () => {
    expect(() => new EventBus({ capacity: 0 })).toThrow(RangeError);
  });
});
