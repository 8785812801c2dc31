import { useLayoutEffect, useState, type RefObject } from 'react';
import { flushSync } from 'react-dom';

/** Until the scroller is measured (and in DOM-less tests, where it measures 0), a typical viewport. */
const ASSUMED_VIEWPORT = 600;

/** The slots a fixed-row scroller renders now, and where it is scrolled. */
export interface RowWindow {
  /** The scroller's scrollTop, px. */
  scrollTop: number;
  /** Its visible height, px. */
  viewport: number;
  /** The slots to render: [first, end), the ones in view and `overscan` more each side. */
  first: number;
  end: number;
}

/** The slots [first, end) of `slots` rows of `rowHeight` px that a viewport at `scrollTop` shows, `overscan` more each side. */
export function rowWindow(slots: number, rowHeight: number, scrollTop: number, viewport: number, overscan: number): { first: number; end: number } {
  if (slots <= 0) return { first: 0, end: 0 };
  // A position past the end (the rows shrank under a scrolled table, before the browser's clamped
  // scroll event arrives) shows the last rows, as the browser will.
  scrollTop = Math.max(0, Math.min(scrollTop, slots * rowHeight - viewport));
  const top = Math.floor(scrollTop / rowHeight);
  const bottom = Math.ceil((scrollTop + viewport) / rowHeight);
  return { first: Math.min(slots, Math.max(0, top - overscan)), end: Math.min(slots, Math.max(top, bottom) + overscan) };
}

/**
 * The window of a scroller of equal rows: its scroll position and height, followed by a scroll
 * listener and a ResizeObserver. Rows of one height need no per-row state, where a general
 * virtualizer (react-virtual, which the call table used) keeps a measurement per row and redoes
 * them whenever the count changes: while a 1M-call trace loaded, that was ~0.5 s of the page's
 * thread and ~9 MB of its heap (a position and size for each of the 363,636 slots).
 */
export function useRowWindow(ref: RefObject<HTMLElement | null>, slots: number, rowHeight: number, overscan: number): RowWindow {
  const [scrollTop, setScrollTop] = useState(0);
  const [measured, setMeasured] = useState(0);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    setMeasured(el.clientHeight);
    // Rendered at once while scrolling (as react-virtual did): a frame painted before the rows
    // for the new position would show the scroller empty.
    const onScroll = () => flushSync(() => setScrollTop(el.scrollTop));
    el.addEventListener('scroll', onScroll, { passive: true });
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => setMeasured(el.clientHeight));
    ro?.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      ro?.disconnect();
    };
  }, [ref]);
  const viewport = measured > 0 ? measured : ASSUMED_VIEWPORT;
  return { scrollTop, viewport, ...rowWindow(slots, rowHeight, scrollTop, viewport, overscan) };
}
