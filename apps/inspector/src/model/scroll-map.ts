/**
 * Browsers cap an element's height (Chromium ~33.5M px, Firefox ~17.9M px), so a 10M-row table at
 * 22 px cannot have its true height. The scroller instead gets at most `maxPx` of "slots" (real
 * pixels, virtualized as usual: views/use-row-window.ts) and the scroll fraction picks which records the
 * visible slots show: slot k shows record k + shift, drawn `delta` px from the slot (|delta| < row).
 * Under the cap the map is the identity (shift 0, delta 0).
 */
export interface ScrollGeometry {
  count: number;
  rowHeight: number;
  maxPx: number;
  viewport: number;
}

export const slotCount = (g: ScrollGeometry): number => Math.min(g.count, Math.max(1, Math.floor(g.maxPx / g.rowHeight)));

/** True height (px) the records would need, and the real height the slots use. */
const heights = (g: ScrollGeometry) => {
  const full = g.count * g.rowHeight;
  const real = slotCount(g) * g.rowHeight;
  return { full, real, fullMax: Math.max(0, full - g.viewport), realMax: Math.max(0, real - g.viewport) };
};

export const isScaled = (g: ScrollGeometry): boolean => g.count > slotCount(g);

/** Virtual (unscaled) offset shown at real scrollTop `s`. */
export function virtualOffset(g: ScrollGeometry, s: number): number {
  if (!isScaled(g)) return s;
  const h = heights(g);
  if (h.realMax <= 0) return 0;
  return (Math.min(Math.max(s, 0), h.realMax) / h.realMax) * h.fullMax;
}

/** Real scrollTop that shows virtual offset `v`. */
export function realOffset(g: ScrollGeometry, v: number): number {
  if (!isScaled(g)) return v;
  const h = heights(g);
  if (h.fullMax <= 0) return 0;
  return (Math.min(Math.max(v, 0), h.fullMax) / h.fullMax) * h.realMax;
}

export interface SlotShift {
  /** Record index = slot index + shift. */
  shift: number;
  /** Pixels to add to a slot's top. */
  delta: number;
}

export function slotShift(g: ScrollGeometry, s: number): SlotShift {
  if (!isScaled(g)) return { shift: 0, delta: 0 };
  const v = virtualOffset(g, s);
  const first = Math.floor(v / g.rowHeight);
  const phase = v - first * g.rowHeight;
  const slot = Math.floor(s / g.rowHeight);
  return { shift: first - slot, delta: s - slot * g.rowHeight - phase };
}

/** The scrollTop that makes record `index` fully visible, or null if it already is. */
export function scrollTopFor(g: ScrollGeometry, s: number, index: number): number | null {
  const v = virtualOffset(g, s);
  const top = index * g.rowHeight;
  const bottom = top + g.rowHeight;
  let target: number;
  if (top < v) target = top;
  else if (bottom > v + g.viewport) target = bottom - g.viewport;
  else return null;
  const r = realOffset(g, target);
  // Round toward the row: a scaled real pixel spans several virtual ones.
  return top < v ? Math.floor(r) : Math.ceil(r);
}
