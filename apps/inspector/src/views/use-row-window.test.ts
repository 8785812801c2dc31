import { describe, expect, it } from 'vitest';
import { rowWindow } from './use-row-window.ts';

describe('rowWindow', () => {
  it('renders the rows in view and the overscan each side, clamped to the slots', () => {
    // 22 px rows, 600 px viewport: rows 0..27 are (partly) in view at the top.
    expect(rowWindow(1000, 22, 0, 600, 8)).toEqual({ first: 0, end: 36 });
    // Scrolled to 2200 px: row 100 is the first in view, 127 (2794..2816 px) the last.
    expect(rowWindow(1000, 22, 2200, 600, 8)).toEqual({ first: 92, end: 136 });
    // A row cut by the top edge is still in view.
    expect(rowWindow(1000, 22, 2210, 600, 0)).toEqual({ first: 100, end: 128 });
    // At the bottom (total 22,000 px, scrollTop at most 21,400): the last row is rendered, none past it.
    expect(rowWindow(1000, 22, 21_400, 600, 8)).toEqual({ first: 964, end: 1000 });
  });

  it('every slot in view is inside the window, whatever the scroll position', () => {
    const slots = 5000, h = 22, viewport = 517;
    for (let top = 0; top <= slots * h - viewport; top += 37) {
      const w = rowWindow(slots, h, top, viewport, 3);
      const firstSeen = Math.floor(top / h), lastSeen = Math.min(slots - 1, Math.floor((top + viewport - 1) / h));
      expect(w.first).toBeLessThanOrEqual(firstSeen);
      expect(w.end).toBeGreaterThan(lastSeen);
      expect(w.end - w.first).toBeLessThanOrEqual(Math.ceil(viewport / h) + 1 + 6);
    }
  });

  it('no slots, no rows; a scroll position past the end (a filter shrank the table) renders its last rows', () => {
    expect(rowWindow(0, 22, 0, 600, 8)).toEqual({ first: 0, end: 0 });
    expect(rowWindow(10, 22, 50_000, 600, 8)).toEqual({ first: 0, end: 10 });
    expect(rowWindow(1000, 22, 50_000, 600, 8)).toEqual({ first: 964, end: 1000 });
  });
});
