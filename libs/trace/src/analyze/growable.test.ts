import { describe, expect, it } from 'vitest';
import { grownCapacity, TRIM_SLACK, u32Column } from './growable.ts';

describe('growable columns', () => {
  it('grow by doubling, then by a quarter, keeping what they hold', () => {
    const c = u32Column(4);
    for (let i = 0; i < 200_000; i++) c.push(i);
    expect(c.length).toBe(200_000);
    expect(c.capacity).toBe(grownCapacity(4, 200_000));
    expect(c.capacity).toBeLessThan(200_000 * 1.25 + 1);
    expect(c.view()[123_456]).toBe(123_456);
  });

  it('a size known in advance is allocated once, exactly, and trim leaves it alone', () => {
    const c = u32Column(16);
    c.reserveExact(100_000);
    const data = c.data;
    expect(c.capacity).toBe(100_000);
    for (let i = 0; i < 100_000; i++) c.push(i * 3);
    c.trim(TRIM_SLACK);
    expect(c.data).toBe(data);
    expect(c.view()[99_999]).toBe(299_997);
  });

  it('trim copies only when the slack is over the fraction it is given', () => {
    const c = u32Column(16);
    c.reserveExact(1000);
    for (let i = 0; i < 980; i++) c.push(i);
    const data = c.data;
    c.trim(0.03);
    expect(c.data, '20 of 980 over: within 3%').toBe(data);
    c.trim(0.01);
    expect(c.data).not.toBe(data);
    expect(c.capacity).toBe(980);
    expect([...c.view().subarray(975)]).toEqual([975, 976, 977, 978, 979]);
    c.trim();
    expect(c.capacity).toBe(980);
  });
});
