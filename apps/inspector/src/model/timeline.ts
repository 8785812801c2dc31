/**
 * The timeline's arithmetic, over the store's typed arrays: no per-call objects, one pass per
 * redraw. Density is counted per (method lane, pixel column); a column holding one call is a tick,
 * one holding thousands is shaded by log density, so the same drawing serves every zoom level.
 */
export interface TimeRange {
  t0: number;
  t1: number;
}

/**
 * The columns the timeline reads, as of one session version. The store grows in place, so its
 * typed arrays change without a new identity: memos over them are keyed on this value, which is new
 * for every version and names it.
 */
export interface ColumnsAt {
  version: number;
  count: number;
  tMono: Float64Array;
  method: Uint8Array | Uint16Array;
  file: Uint16Array;
}

export function columnsAt(store: { tMono: Float64Array; method: Uint8Array | Uint16Array; file: Uint16Array }, count: number, version: number): ColumnsAt {
  return { version, count, tMono: store.tMono, method: store.method, file: store.file };
}

/** Smallest visible span (1 µs): below that float64 seconds stop being distinct columns. */
export const MIN_SPAN = 1e-6;

export function extentOf(tMono: Float64Array, count: number): TimeRange {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < count; i++) {
    const t = tMono[i]!;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  if (lo === Infinity) return { t0: 0, t1: 1 };
  if (hi - lo < MIN_SPAN) return { t0: lo - MIN_SPAN, t1: hi + MIN_SPAN };
  return { t0: lo, t1: hi };
}

export interface Density {
  lanes: number;
  columns: number;
  /** counts[lane * columns + column] */
  counts: Uint32Array;
  /** Largest count of any cell, for shading. */
  max: number;
  /** Calls per column over all lanes (the rate strip). */
  total: Uint32Array;
  totalMax: number;
}

/**
 * Counts calls per lane and column inside `view`. With `rows` only those calls count (a filter's
 * answer); otherwise all `count` calls of the store. A call's lane is its `method` column value,
 * or, with `laneOf`, `laneOf[value]` (the server tracks: the file column mapped to its trace).
 */
export function density(tMono: Float64Array, method: Uint8Array | Uint16Array, count: number, rows: Uint32Array | null, lanes: number, view: TimeRange, columns: number, laneOf: Uint16Array | null = null): Density {
  const cols = Math.max(1, Math.floor(columns));
  const counts = new Uint32Array(Math.max(1, lanes) * cols);
  const total = new Uint32Array(cols);
  const scale = cols / (view.t1 - view.t0);
  const add = (i: number) => {
    const t = tMono[i]!;
    if (t < view.t0 || t > view.t1) return;
    const c = Math.min(cols - 1, Math.floor((t - view.t0) * scale));
    const m = laneOf === null ? method[i]! : (laneOf[method[i]!] ?? lanes);
    if (m >= lanes) return;
    counts[m * cols + c]!++;
    total[c]!++;
  };
  if (rows === null) for (let i = 0; i < count; i++) add(i);
  else for (let j = 0; j < rows.length; j++) if (rows[j]! < count) add(rows[j]!);
  let max = 0, totalMax = 0;
  for (let k = 0; k < counts.length; k++) if (counts[k]! > max) max = counts[k]!;
  for (let k = 0; k < cols; k++) if (total[k]! > totalMax) totalMax = total[k]!;
  return { lanes, columns: cols, counts, max, total, totalMax };
}

/** Zooms by `factor` (< 1 zooms in) keeping time `at` under the same pixel; clamped to the extent. */
export function zoomAt(view: TimeRange, at: number, factor: number, extent: TimeRange): TimeRange {
  const full = extent.t1 - extent.t0;
  const span = Math.min(full, Math.max(MIN_SPAN, (view.t1 - view.t0) * factor));
  const f = (at - view.t0) / (view.t1 - view.t0);
  return clampView({ t0: at - f * span, t1: at - f * span + span }, extent);
}

export function panBy(view: TimeRange, dt: number, extent: TimeRange): TimeRange {
  return clampView({ t0: view.t0 + dt, t1: view.t1 + dt }, extent);
}

/** Moves the view (same span) so that `t` is inside it, centred, if it is not already. */
export function keepInView(view: TimeRange, t: number, extent: TimeRange): TimeRange {
  if (t >= view.t0 && t <= view.t1) return view;
  const half = (view.t1 - view.t0) / 2;
  return clampView({ t0: t - half, t1: t + half }, extent);
}

export function clampView(v: TimeRange, extent: TimeRange): TimeRange {
  const span = Math.min(v.t1 - v.t0, extent.t1 - extent.t0);
  let t0 = v.t0;
  if (t0 < extent.t0) t0 = extent.t0;
  if (t0 + span > extent.t1) t0 = extent.t1 - span;
  return { t0, t1: t0 + span };
}

/** "Nice" tick step for a span and a wanted number of ticks (1, 2, 5 x 10^k seconds). */
export function tickStep(span: number, wanted: number): number {
  const raw = span / Math.max(1, wanted);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const m = raw / p;
  return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/** The call nearest to time `t` in `lane` (or any lane when -1) among shown calls, or -1; lanes as density's. */
export function nearestCall(tMono: Float64Array, method: Uint8Array | Uint16Array, count: number, rows: Uint32Array | null, lane: number, t: number, maxDt: number, laneOf: Uint16Array | null = null): number {
  let best = -1, bestDt = maxDt;
  const test = (i: number) => {
    if (lane >= 0 && (laneOf === null ? method[i] : laneOf[method[i]!]) !== lane) return;
    const d = Math.abs(tMono[i]! - t);
    if (d <= bestDt) {
      bestDt = d;
      best = i;
    }
  };
  if (rows === null) for (let i = 0; i < count; i++) test(i);
  else for (let j = 0; j < rows.length; j++) if (rows[j]! < count) test(rows[j]!);
  return best;
}
