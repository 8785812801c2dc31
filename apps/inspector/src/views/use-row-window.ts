import { useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';

/** Until the scroller is measured (and in DOM-less tests, where it measures 0), a typical viewport. */
const ASSUMED_VIEWPORT = 600;

/** The slots a fixed-row scroller renders now, and where it is scrolled. */
export interface RowWindow {
  /** The scroller's scrollTop, px, within [0, slots * rowHeight - viewport] (see rowWindow). */
  scrollTop: number;
  /** Its visible height, px. */
  viewport: number;
  /** The slots to render: [first, end), the ones in view and `overscan` more each side. */
  first: number;
  end: number;
}

/**
 * The slots [first, end) of `slots` rows of `rowHeight` px that a viewport at `scrollTop` shows,
 * `overscan` more each side, and that scrollTop clamped to the scroller's range: a position past
 * the end (the rows shrank, or the viewport grew, under a table scrolled to its bottom, before the
 * browser's clamped scroll event arrives) shows the last rows, as the browser will.
 */
export function rowWindow(slots: number, rowHeight: number, scrollTop: number, viewport: number, overscan: number): { scrollTop: number; first: number; end: number } {
  if (slots <= 0) return { scrollTop: 0, first: 0, end: 0 };
  const clamped = Math.max(0, Math.min(scrollTop, slots * rowHeight - viewport));
  const top = Math.floor(clamped / rowHeight);
  const bottom = Math.ceil((clamped + viewport) / rowHeight);
  return { scrollTop: clamped, first: Math.min(slots, Math.max(0, top - overscan)), end: Math.min(slots, Math.max(top, bottom) + overscan) };
}

/**
 * The window of a scroller of equal rows: its scroll position and height, followed by a scroll
 * listener and a ResizeObserver on `ref`'s element, which must live as long as the component (the
 * call table's scroller always does). Rows of one height need no per-row state, where a general
 * virtualizer (react-virtual, which the call table used) keeps a measurement per row and redoes
 * them whenever the count changes: while a 1M-call trace loaded, that was ~0.5 s of the page's
 * thread and ~9 MB of its heap (a position and size for each of the 363,636 slots).
 * A scroll re-renders only when the window [first, end) changes, or at every pixel with
 * `everyPixel` (a table past the height cap, whose rows move with the scroll map).
 */
export function useRowWindow(ref: RefObject<HTMLElement | null>, slots: number, rowHeight: number, overscan: number, everyPixel = false): RowWindow {
  const [scrollTop, setScrollTop] = useState(0);
  const [measured, setMeasured] = useState(0);
  const viewport = measured > 0 ? measured : ASSUMED_VIEWPORT;
  // What the scroll listener compares with: it is attached once, not at every batch of a load (the
  // count changes then), since reading scrollTop after the table grew forces a layout each time.
  const now = useRef({ slots, rowHeight, viewport, overscan, everyPixel });
  useLayoutEffect(() => {
    now.current = { slots, rowHeight, viewport, overscan, everyPixel };
  });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setMeasured(el.clientHeight);
    setScrollTop(el.scrollTop);
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => setMeasured(el.clientHeight));
    ro?.observe(el);
    const take = (top: number) =>
      setScrollTop((prev) => {
        const p = now.current;
        if (p.everyPixel) return top;
        const a = rowWindow(p.slots, p.rowHeight, prev, p.viewport, p.overscan), b = rowWindow(p.slots, p.rowHeight, top, p.viewport, p.overscan);
        return a.first === b.first && a.end === b.end ? prev : top;
      });
    // Rendered at once: a frame painted before the rows for the new position would show the
    // scroller empty where they go.
    const onScroll = () => flushSync(() => take(el.scrollTop));
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro?.disconnect();
    };
  }, [ref]);
  // Scrolls that kept the window left the position behind: once every pixel counts (a table that
  // grew past the height cap), take the exact one.
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && everyPixel) setScrollTop(el.scrollTop);
  }, [ref, everyPixel]);
  return { viewport, ...rowWindow(slots, rowHeight, scrollTop, viewport, overscan) };
}
