// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { useRef } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { rowWindow, useRowWindow } from './use-row-window.ts';

const range = (w: { first: number; end: number }) => ({ first: w.first, end: w.end });

describe('rowWindow', () => {
  it('renders the rows in view and the overscan each side, clamped to the slots', () => {
    // 22 px rows, 600 px viewport: rows 0..27 are (partly) in view at the top.
    expect(range(rowWindow(1000, 22, 0, 600, 8))).toEqual({ first: 0, end: 36 });
    // Scrolled to 2200 px: row 100 is the first in view, 127 (2794..2816 px) the last.
    expect(range(rowWindow(1000, 22, 2200, 600, 8))).toEqual({ first: 92, end: 136 });
    // A row cut by the top edge is still in view.
    expect(range(rowWindow(1000, 22, 2210, 600, 0))).toEqual({ first: 100, end: 128 });
    // At the bottom (total 22,000 px, scrollTop at most 21,400): the last row is rendered, none past it.
    expect(rowWindow(1000, 22, 21_400, 600, 8)).toEqual({ scrollTop: 21_400, first: 964, end: 1000 });
  });

  it('every slot in view is inside the window, whatever the scroll position', () => {
    const slots = 5000, h = 22, viewport = 517;
    for (let top = 0; top <= slots * h - viewport; top += 37) {
      const w = rowWindow(slots, h, top, viewport, 3);
      expect(w.scrollTop).toBe(top);
      const firstSeen = Math.floor(top / h), lastSeen = Math.min(slots - 1, Math.floor((top + viewport - 1) / h));
      expect(w.first).toBeLessThanOrEqual(firstSeen);
      expect(w.end).toBeGreaterThan(lastSeen);
      expect(w.end - w.first).toBeLessThanOrEqual(Math.ceil(viewport / h) + 1 + 6);
    }
  });

  it('no slots, no rows; a position past the end (rows shrank, viewport grew) is clamped and shows the last rows', () => {
    expect(rowWindow(0, 22, 0, 600, 8)).toEqual({ scrollTop: 0, first: 0, end: 0 });
    expect(rowWindow(10, 22, 50_000, 600, 8)).toEqual({ scrollTop: 0, first: 0, end: 10 });
    expect(rowWindow(1000, 22, 50_000, 600, 8)).toEqual({ scrollTop: 21_400, first: 964, end: 1000 });
    // Scrolled to the bottom with a 600 px viewport, which then grows to 800 px.
    expect(rowWindow(1000, 22, 21_400, 800, 0)).toEqual({ scrollTop: 21_200, first: 963, end: 1000 });
  });
});

describe('useRowWindow', () => {
  afterEach(cleanup);

  /** A scroller over `slots` rows; counts its renders and shows its window. */
  function setup(slots: number, everyPixel: boolean) {
    const seen = { renders: 0, last: { scrollTop: 0, first: 0, end: 0 } };
    function Rows() {
      const ref = useRef<HTMLDivElement>(null);
      const w = useRowWindow(ref, slots, 22, 2, everyPixel);
      seen.renders++;
      seen.last = { scrollTop: w.scrollTop, first: w.first, end: w.end };
      return <div ref={ref} data-testid="scroller" />;
    }
    const view = render(<Rows />);
    const el = view.getByTestId('scroller');
    // happy-dom has no layout: the viewport is the hook's assumed 600 px.
    const scrollTo = (top: number) =>
      act(() => {
        el.scrollTop = top;
        fireEvent.scroll(el);
      });
    return { seen, scrollTo };
  }

  it('follows the scroll, re-rendering only when the window of rows changes', () => {
    const { seen, scrollTo } = setup(1000, false);
    expect(seen.last).toMatchObject({ first: 0, end: 30 });
    const before = seen.renders;
    // 10 px: the same rows are in view (row 0 still partly), no render.
    scrollTo(10);
    expect(seen.renders).toBe(before);
    scrollTo(2200);
    expect(seen.renders).toBe(before + 1);
    expect(seen.last).toMatchObject({ scrollTop: 2200, first: 98, end: 130 });
  });

  it('with everyPixel (a table past the height cap) every scroll position is rendered', () => {
    const { seen, scrollTo } = setup(1000, true);
    const before = seen.renders;
    scrollTo(10);
    expect(seen.renders).toBe(before + 1);
    expect(seen.last.scrollTop).toBe(10);
    scrollTo(13);
    expect(seen.last.scrollTop).toBe(13);
  });

  it('a growing table (new slot counts, batch after batch) never reads the scroll position again; crossing the height cap reads it once', () => {
    function Rows({ slots, everyPixel }: { slots: number; everyPixel: boolean }) {
      const ref = useRef<HTMLDivElement>(null);
      useRowWindow(ref, slots, 22, 2, everyPixel);
      return <div ref={ref} data-testid="scroller" />;
    }
    // Reading scrollTop after the table grew forces a layout: count the reads.
    let reads = 0;
    const desc = Object.getOwnPropertyDescriptor(Element.prototype, 'scrollTop')!;
    const spy = {
      configurable: true,
      get(this: Element) {
        reads++;
        return desc.get!.call(this) as number;
      },
      set(this: Element, v: number) {
        desc.set!.call(this, v);
      },
    };
    Object.defineProperty(Element.prototype, 'scrollTop', spy);
    try {
      const view = render(<Rows slots={100} everyPixel={false} />);
      const atMount = reads;
      for (let n = 200; n <= 1000; n += 200) view.rerender(<Rows slots={n} everyPixel={false} />);
      expect(reads).toBe(atMount);
      view.rerender(<Rows slots={1000} everyPixel={true} />);
      expect(reads).toBe(atMount + 1);
    } finally {
      Object.defineProperty(Element.prototype, 'scrollTop', desc);
    }
  });
});
