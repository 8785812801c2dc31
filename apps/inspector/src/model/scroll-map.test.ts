import { describe, expect, it } from 'vitest';
import { isScaled, realOffset, scrollTopFor, slotCount, slotShift, virtualOffset, type ScrollGeometry } from './scroll-map.ts';

const g = (count: number): ScrollGeometry => ({ count, rowHeight: 22, maxPx: 8_000_000, viewport: 660 });

describe('scroll map', () => {
  it('is the identity under the cap', () => {
    const s = g(1000);
    expect(isScaled(s)).toBe(false);
    expect(slotCount(s)).toBe(1000);
    expect(slotShift(s, 500)).toEqual({ shift: 0, delta: 0 });
    expect(virtualOffset(s, 123)).toBe(123);
  });

  it('reaches the first and the last of ten million rows', () => {
    const s = g(10_000_000);
    expect(isScaled(s)).toBe(true);
    const slots = slotCount(s);
    expect(slots * 22).toBeLessThanOrEqual(8_000_000);
    expect(slotShift(s, 0).shift).toBe(0);
    const maxTop = slots * 22 - 660;
    const { shift, delta } = slotShift(s, maxTop);
    // The last visible slot shows the last record, and its bottom is the viewport's bottom.
    const lastSlot = slots - 1;
    expect(lastSlot + shift).toBe(10_000_000 - 1);
    expect(lastSlot * 22 + delta + 22).toBeCloseTo(maxTop + 660, 6);
  });

  it('keeps rows contiguous and aligned for every scroll position sampled', () => {
    const s = g(3_000_000);
    for (let i = 0; i <= 1000; i++) {
      const top = ((slotCount(s) * 22 - 660) * i) / 1000;
      const { shift, delta } = slotShift(s, top);
      expect(Math.abs(delta)).toBeLessThan(22);
      const v = virtualOffset(s, top);
      const slot = Math.floor(top / 22);
      // The record at the viewport's top edge is drawn where the virtual offset says.
      const rec = slot + shift;
      expect(slot * 22 + delta - top).toBeCloseTo(rec * 22 - v, 6);
    }
  });

  it('scrolls just enough to show a record, scaled or not', () => {
    for (const count of [1000, 5_000_000]) {
      const s = g(count);
      for (const index of [0, 17, Math.floor(count / 2), count - 1]) {
        const top = scrollTopFor(s, 0, index) ?? 0;
        const v = virtualOffset(s, top);
        expect(index * 22).toBeGreaterThanOrEqual(v - 22);
        expect(index * 22 + 22).toBeLessThanOrEqual(v + 660 + 22);
      }
      expect(realOffset(s, virtualOffset(s, 1234))).toBeCloseTo(1234, 3);
    }
  });
});
