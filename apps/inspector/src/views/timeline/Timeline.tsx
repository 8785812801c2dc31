import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import type { RecordStore } from '../../model/record-store.ts';
import { columnsAt, density, extentOf, keepInView, nearestCall, panBy, zoomAt, type TimeRange } from '../../model/timeline.ts';
import { isTyping } from '../keys.ts';
import { compactMethodName, methodHue } from '../methods.ts';
import { serverHue } from '../servers.ts';
import { drawTimeline, timelineLayout, timeOfX, type Lane } from './draw.ts';
import { SLICE_TRACKS, type SliceColumns } from '../../model/queries.ts';
import { sliceCoverage } from './slices.ts';
import { useThemeColors } from './theme.ts';
import { usePaced } from './use-paced.ts';

const NONE: readonly string[] = [];
/**
 * While the store grows: MIN_GAP_MS between two drawings of new calls, or 1 ms per
 * CALLS_PER_GAP_MS calls where that is longer (past 2.5M calls). A drawing walks every call a few
 * times (extent, densities, span coverage); the extent and one density over 10M calls took ~0.1 s
 * in Node here.
 */
const MIN_GAP_MS = 250;
const CALLS_PER_GAP_MS = 10_000;

interface Props {
  store: RecordStore;
  /** The method table as of `version` (qualnames by method id). */
  methods: readonly string[];
  count: number;
  /** Session version: the store grows in place while loading. */
  version: number;
  /** The store is still growing (a load, a live trace): redraws are paced (usePaced). */
  growing?: boolean;
  rows: Uint32Array | null;
  /** Method ids turned off by the filter (their lanes are dimmed). */
  hiddenMethods: ReadonlySet<number>;
  window: TimeRange | null;
  selected: number | null;
  /** Bookmarked calls. */
  marks: readonly number[];
  /** Request spans as slices (null: not available). */
  slices: SliceColumns | null;
  onBrush(window: TimeRange | null): void;
  onSelect(call: number): void;
}

/**
 * The canvas timeline, as state only: the view range, the brush being dragged, the canvas width and
 * the theme. Drawing is draw.ts's (a scene in, canvas calls out). Wheel and +/−/arrows (focused) or
 * W/A/S/D (anywhere but a text field) zoom and pan; drag brushes a time window; click selects.
 * Several traces open as one get a track per server above the method lanes (the store's file
 * column mapped to each file's trace); a click there selects that server's nearest call.
 */
export function Timeline({ store, methods, count, version, growing = false, rows, hiddenMethods, window: win, selected, marks, slices, onBrush, onSelect }: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [view, setView] = useState<TimeRange | null>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const colors = useThemeColors();
  const labels = useMemo(() => methods.map(compactMethodName), [methods]);
  const servers = store.severalServers ? store.servers : NONE;
  // The file column holds file ids; a server track counts a file's calls in its trace's lane.
  // `servers` is a new array whenever the store's set (and so its files) changes.
  const traceOfFile = useMemo(() => (servers.length > 0 ? Uint16Array.from(store.files, (f) => f.trace) : null), [store, servers]);
  const sliceTracks = slices ? SLICE_TRACKS.length : 0;
  const layout = useMemo(() => timelineLayout(width, labels, sliceTracks, servers), [width, labels, sliceTracks, servers]);
  // The store grows in place: `cols` is it as of this version, and what the memos below are keyed on.
  // While it grows, new calls are drawn at most every MIN_GAP_MS, or longer past 2.5M calls (each
  // drawing walks them all): the page keeps most of its thread for the table.
  const latest = useMemo(() => columnsAt(store, count, version), [store, count, version]);
  const cols = usePaced(latest, growing, Math.max(MIN_GAP_MS, count / CALLS_PER_GAP_MS));
  const extent = useMemo(() => extentOf(cols.tMono, cols.count), [cols]);

  // A new selection brings its call into view (adjusted while rendering, as React documents for
  // state that follows a prop); panning away from it afterwards is allowed.
  const [viewSelected, setViewSelected] = useState(selected);
  if (selected !== viewSelected) {
    setViewSelected(selected);
    if (view !== null && selected !== null && selected < count) setView(keepInView(view, store.tMono[selected]!, extent));
  }
  const shown = view ?? extent;
  const { t0: shownT0, t1: shownT1 } = shown;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // Densities walk every call (millions): only when the data, rows, range or plot size change, not
  // on every render (each pointer move while brushing).
  const lanes = layout.lanes;
  const plotW = layout.plotW;
  const all = useMemo(() => density(cols.tMono, cols.method, cols.count, null, lanes, { t0: shownT0, t1: shownT1 }, plotW), [cols, lanes, shownT0, shownT1, plotW]);
  const hit = useMemo(() => (rows === null ? null : density(cols.tMono, cols.method, cols.count, rows, lanes, { t0: shownT0, t1: shownT1 }, plotW)), [cols, rows, lanes, shownT0, shownT1, plotW]);
  const serverAll = useMemo(
    () => (traceOfFile ? density(cols.tMono, cols.file, cols.count, null, servers.length, { t0: shownT0, t1: shownT1 }, plotW, traceOfFile) : null),
    [cols, traceOfFile, servers, shownT0, shownT1, plotW],
  );
  const serverHit = useMemo(
    () => (traceOfFile && rows !== null ? density(cols.tMono, cols.file, cols.count, rows, servers.length, { t0: shownT0, t1: shownT1 }, plotW, traceOfFile) : null),
    [cols, rows, traceOfFile, servers, shownT0, shownT1, plotW],
  );
  const coverage = useMemo(() => (slices ? sliceCoverage(slices, cols.tMono.subarray(0, cols.count), { t0: shownT0, t1: shownT1 }, plotW) : null), [slices, cols, shownT0, shownT1, plotW]);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(layout.width * dpr);
    canvas.height = Math.round(layout.height * dpr);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const laneList: Lane[] = labels.map((label, m) => ({ label, hue: methodHue(methods[m] ?? ''), off: hiddenMethods.has(m) }));
    const report = drawTimeline(ctx, {
      layout,
      view: shown,
      colors,
      lanes: laneList,
      all,
      hit,
      servers: serverAll ? { lanes: servers.map((label, i) => ({ label, hue: serverHue(i), off: false })), all: serverAll, hit: serverHit } : null,
      slices: coverage,
      window: win,
      brush: drag,
      // Calls as far as drawn (cols): the paced drawing is redrawn when cols changes, not per batch.
      selected: selected !== null && selected < cols.count ? { t: store.tMono[selected]!, lane: store.method[selected]!, ...(traceOfFile ? { server: store.traceOf(selected) } : {}) } : null,
      marks: marks.filter((c) => c < cols.count).map((c) => ({ t: store.tMono[c]!, lane: store.method[c]! })),
    });
    // What was drawn, for the e2e checks (a canvas has no text to query).
    const el = wrapRef.current;
    if (el) {
      el.dataset.ticks = JSON.stringify(report.ticks.map((t) => [t.text, Math.round(t.x), Math.round(t.width)]));
      el.dataset.labels = JSON.stringify(report.labels.map((t) => t.text));
    }
  }, [layout, shown, all, hit, serverAll, serverHit, servers, traceOfFile, coverage, win, drag, selected, marks, cols, labels, methods, hiddenMethods, colors, store]);

  const localX = (e: { clientX: number }) => e.clientX - canvasRef.current!.getBoundingClientRect().left;
  const right = layout.labelW + plotW;
  const clampX = (x: number) => Math.max(layout.labelW, Math.min(right, x));
  const tOf = (x: number) => timeOfX(layout, shown, x);

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    const x = localX(e);
    if (x < layout.labelW) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    setDrag({ x0: clampX(x), x1: clampX(x) });
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    if (drag) setDrag({ x0: drag.x0, x1: clampX(localX(e)) });
  };
  const onPointerUp = (e: PointerEvent<HTMLCanvasElement>) => {
    if (!drag) return;
    const d = drag;
    setDrag(null);
    if (Math.abs(d.x1 - d.x0) >= 4) {
      onBrush({ t0: tOf(Math.min(d.x0, d.x1)), t1: tOf(Math.max(d.x0, d.x1)) });
      return;
    }
    // A click: the nearest shown call in that lane (or server track), within a few pixels.
    const r = canvasRef.current!.getBoundingClientRect();
    const y = e.clientY - r.top;
    const pxSec = (shown.t1 - shown.t0) / plotW;
    const server = traceOfFile && y >= layout.axisH && y < layout.axisH + layout.serverLanes * layout.laneH ? Math.floor((y - layout.axisH) / layout.laneH) : -1;
    const lane = Math.floor((y - layout.lanesTop) / layout.laneH);
    const call =
      server >= 0
        ? nearestCall(store.tMono, store.file, count, rows, server, tOf(d.x0), pxSec * 6, traceOfFile)
        : nearestCall(store.tMono, store.method, count, rows, lane >= 0 && lane < lanes ? lane : -1, tOf(d.x0), pxSec * 6);
    if (call >= 0) onSelect(call);
  };
  // A cancelled pointer (a touch turned into a scroll) or a lost capture ends the drag without brushing.
  const endDrag = () => {
    if (drag) setDrag(null);
  };

  const zoom = (factor: number, at?: number) => setView(zoomAt(shown, at ?? (shown.t0 + shown.t1) / 2, factor, extent));
  const pan = (fraction: number) => setView(panBy(shown, (shown.t1 - shown.t0) * fraction, extent));
  // The window key handler is installed once and calls the current closures.
  const actions = useRef({ zoom, pan });
  useEffect(() => {
    actions.current = { zoom, pan };
  });

  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.shiftKey ? e.deltaY : e.deltaX) / 600);
    else zoom(Math.pow(1.0015, e.deltaY), tOf(Math.max(layout.labelW, localX(e))));
  };
  // Drag brushes, click selects, wheel zooms (or pans, sideways or with Shift).
  const gestures = { onPointerDown, onPointerMove, onPointerUp, onPointerCancel: endDrag, onLostPointerCapture: endDrag, onWheel };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const k = { '+': 'in', '=': 'in', '-': 'out', ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'in', ArrowDown: 'out' }[e.key];
    if (k === 'in') zoom(0.5);
    else if (k === 'out') zoom(2);
    else if (k === 'left') pan(-0.2);
    else if (k === 'right') pan(0.2);
    else if (e.key === '0') setView(null);
    else if (e.key === 'Escape') onBrush(null);
    else return;
    e.preventDefault();
    e.stopPropagation();
  };

  // W/S zoom and A/D pan from anywhere but a text field (Perfetto's keys).
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      const k = e.key.toLowerCase();
      if (k === 'w') actions.current.zoom(0.8);
      else if (k === 's') actions.current.zoom(1.25);
      else if (k === 'a') actions.current.pan(-0.1);
      else if (k === 'd') actions.current.pan(0.1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  // Wheel must not scroll the page; React's onWheel is passive, so prevent it natively.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const stop = (e: globalThis.WheelEvent) => e.preventDefault();
    canvas.addEventListener('wheel', stop, { passive: false });
    return () => canvas.removeEventListener('wheel', stop);
  }, []);

  const zoomed = view !== null && (view.t0 > extent.t0 || view.t1 < extent.t1);
  return (
    <div className="timeline" ref={wrapRef} role="group" aria-label="Timeline" tabIndex={0} onKeyDown={onKeyDown} data-testid="timeline" data-view-t0={shown.t0} data-view-t1={shown.t1}>
      <canvas ref={canvasRef} style={{ width: layout.width, height: layout.height }} aria-hidden="true" {...gestures} />
      <div className="timeline-tools">
        <button type="button" className="btn btn-small" onClick={() => zoom(0.5)} title="Zoom in (+, W)">+</button>
        <button type="button" className="btn btn-small" onClick={() => zoom(2)} title="Zoom out (−, S)">−</button>
        <button type="button" className="btn btn-small" disabled={!zoomed} onClick={() => setView(null)} title="Show the whole trace (0)">fit</button>
        {win && (
          <button type="button" className="btn btn-small" onClick={() => setView(win.t1 > win.t0 ? { ...win } : null)} title="Zoom to the time window">
            zoom to window
          </button>
        )}
      </div>
    </div>
  );
}

