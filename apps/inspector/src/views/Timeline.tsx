import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from 'react';
import { formatRelSeconds } from '../model/format.ts';
import type { RecordStore } from '../model/record-store.ts';
import { density, extentOf, keepInView, nearestCall, panBy, tickStep, zoomAt, type TimeRange } from '../model/timeline.ts';
import { compactMethodName, methodHue } from './methods.ts';

const LABEL_W = 176;
const AXIS_H = 18;
const LANE_H = 15;
const RATE_H = 34;
const PAD_R = 10;

interface Props {
  store: RecordStore;
  count: number;
  /** Session version: the store grows in place while loading. */
  version: number;
  rows: Uint32Array | null;
  /** Method ids turned off by the filter (their lanes are dimmed). */
  hiddenMethods: ReadonlySet<number>;
  window: TimeRange | null;
  selected: number | null;
  onBrush(window: TimeRange | null): void;
  onSelect(call: number): void;
}

interface Colors {
  text: string;
  muted: string;
  border: string;
  panel: string;
  panel2: string;
  accent: string;
  dark: boolean;
}

function themeColors(el: Element): Colors {
  const cs = getComputedStyle(el);
  const v = (n: string, d: string) => cs.getPropertyValue(n).trim() || d;
  return {
    text: v('--text', '#1b2230'),
    muted: v('--muted', '#667085'),
    border: v('--border', '#dfe3e8'),
    panel: v('--panel', '#fff'),
    panel2: v('--panel-2', '#f1f3f6'),
    accent: v('--accent', '#2f6feb'),
    dark: cs.colorScheme.includes('dark'),
  };
}

/**
 * The canvas timeline: one lane per method, every call a tick (shaded density when zoomed out), a
 * calls/s strip, wheel/keys zoom and pan, drag to brush a time window (it filters the table), click
 * to select the nearest call. Drawn from the store's typed arrays: no per-call DOM.
 */
export function Timeline({ store, count, version, rows, hiddenMethods, window: win, selected, onBrush, onSelect }: Props) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [view, setView] = useState<TimeRange | null>(null);
  const [drag, setDrag] = useState<{ x0: number; x1: number } | null>(null);
  const lanes = Math.max(1, store.methods.length);
  const height = AXIS_H + lanes * LANE_H + RATE_H + 6;
  // The store grows in place: `version` is what says it changed.
  const extent = useMemo(() => extentOf(store.tMono, count), [store, count, version]);
  const shown = view ?? extent;
  const plotW = Math.max(1, width - LABEL_W - PAD_R);
  const xOf = (t: number) => LABEL_W + ((t - shown.t0) / (shown.t1 - shown.t0)) * plotW;
  const tOf = (x: number) => shown.t0 + ((x - LABEL_W) / plotW) * (shown.t1 - shown.t0);

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  // The selected call stays in view.
  useEffect(() => {
    if (selected === null || selected >= count || view === null) return;
    const next = keepInView(view, store.tMono[selected]!, extent);
    if (next !== view) setView(next);
  }, [selected]); // Only a new selection moves the view; panning away from it afterwards is allowed.

  // Both densities walk every call (millions): computed only when the data, the shown rows, the
  // shown range or the plot size change, not on every render (each pointer move while brushing).
  const { t0: shownT0, t1: shownT1 } = shown;
  const all = useMemo(
    () => density(store.tMono, store.method, count, null, lanes, { t0: shownT0, t1: shownT1 }, plotW),
    [store, count, version, lanes, shownT0, shownT1, plotW],
  );
  const hit = useMemo(
    () => (rows === null ? null : density(store.tMono, store.method, count, rows, lanes, { t0: shownT0, t1: shownT1 }, plotW)),
    [store, count, version, rows, lanes, shownT0, shownT1, plotW],
  );

  // No dependency list on purpose: drawing is cheap now (lanes x columns), and it must follow
  // everything on screen, the theme's colours included.
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const dpr = globalThis.devicePixelRatio || 1;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const c = themeColors(canvas);
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, 0, width, height);
    ctx.font = '11px ui-monospace, Menlo, Consolas, monospace';
    ctx.textBaseline = 'middle';

    const logMax = Math.log1p(all.max);

    // Axis.
    const step = tickStep(shown.t1 - shown.t0, Math.max(2, Math.floor(plotW / 110)));
    ctx.fillStyle = c.muted;
    ctx.strokeStyle = c.border;
    ctx.lineWidth = 1;
    for (let t = Math.ceil(shown.t0 / step) * step; t <= shown.t1; t += step) {
      const x = Math.round(xOf(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, AXIS_H - 4);
      ctx.lineTo(x, height - 4);
      ctx.stroke();
      ctx.fillText(`${formatRelSeconds(t)} s`, x + 3, AXIS_H / 2);
    }

    // Lanes.
    for (let m = 0; m < lanes; m++) {
      const y = AXIS_H + m * LANE_H;
      const q = store.methods[m] ?? '';
      const hue = methodHue(q);
      const off = hiddenMethods.has(m);
      if (m % 2 === 1) {
        ctx.fillStyle = c.panel2;
        ctx.fillRect(LABEL_W, y, plotW, LANE_H);
      }
      ctx.fillStyle = off ? c.muted : c.text;
      ctx.globalAlpha = off ? 0.5 : 1;
      ctx.fillText(compactMethodName(q).slice(0, 25), 8, y + LANE_H / 2);
      ctx.fillStyle = `hsl(${hue} 70% 50%)`;
      ctx.fillRect(LABEL_W - 10, y + 4, 4, LANE_H - 8);
      const base = m * all.columns;
      for (let col = 0; col < all.columns; col++) {
        const n = all.counts[base + col]!;
        if (n === 0) continue;
        const shade = 0.35 + 0.65 * (Math.log1p(n) / logMax);
        const inHit = hit === null ? n : hit.counts[base + col]!;
        if (inHit > 0 && !off) {
          ctx.globalAlpha = shade;
          ctx.fillStyle = `hsl(${hue} 75% ${c.dark ? 62 : 45}%)`;
        } else {
          ctx.globalAlpha = 0.25 * shade;
          ctx.fillStyle = c.muted;
        }
        ctx.fillRect(LABEL_W + col, y + 2, 1, LANE_H - 4);
      }
      ctx.globalAlpha = 1;
    }

    // Rate strip: calls/s of the shown calls.
    const ry = AXIS_H + lanes * LANE_H + 4;
    const rate = hit ?? all;
    const colSec = (shown.t1 - shown.t0) / all.columns;
    ctx.fillStyle = c.panel2;
    ctx.fillRect(LABEL_W, ry, plotW, RATE_H - 4);
    ctx.fillStyle = c.accent;
    ctx.globalAlpha = 0.75;
    // Columns merged in groups so one-call-per-pixel zoom levels still draw a readable rate.
    const group = Math.max(1, Math.round(all.columns / 240));
    let peak = 0;
    for (let col = 0; col < all.columns; col += group) {
      let s = 0;
      for (let k = col; k < Math.min(all.columns, col + group); k++) s += rate.total[k]!;
      peak = Math.max(peak, s);
    }
    for (let col = 0; col < all.columns && peak > 0; col += group) {
      let s = 0;
      for (let k = col; k < Math.min(all.columns, col + group); k++) s += rate.total[k]!;
      const h = Math.round((s / peak) * (RATE_H - 6));
      if (h > 0) ctx.fillRect(LABEL_W + col, ry + RATE_H - 4 - h, group, h);
    }
    ctx.globalAlpha = 1;
    ctx.fillStyle = c.muted;
    ctx.fillText('calls/s', 8, ry + (RATE_H - 4) / 2 - 6);
    ctx.fillStyle = c.text;
    ctx.fillText(peak > 0 ? `peak ${formatRate(peak / (colSec * group))}` : '', 8, ry + (RATE_H - 4) / 2 + 7);

    // Time window (the filter) and the brush being dragged: the outside is dimmed.
    const dim = (x0: number, x1: number) => {
      ctx.fillStyle = c.dark ? 'rgb(0 0 0 / 0.55)' : 'rgb(255 255 255 / 0.72)';
      const a = Math.max(LABEL_W, Math.min(x0, x1)), b = Math.min(LABEL_W + plotW, Math.max(x0, x1));
      if (a > LABEL_W) ctx.fillRect(LABEL_W, AXIS_H, a - LABEL_W, height - AXIS_H);
      if (b < LABEL_W + plotW) ctx.fillRect(b, AXIS_H, LABEL_W + plotW - b, height - AXIS_H);
      ctx.strokeStyle = c.accent;
      ctx.lineWidth = 1.5;
      for (const x of [a, b]) {
        if (x <= LABEL_W || x >= LABEL_W + plotW) continue;
        ctx.beginPath();
        ctx.moveTo(x, AXIS_H);
        ctx.lineTo(x, height);
        ctx.stroke();
      }
    };
    if (drag) dim(drag.x0, drag.x1);
    else if (win) dim(xOf(win.t0), xOf(win.t1));

    // The selected call.
    if (selected !== null && selected < count) {
      const x = Math.round(xOf(store.tMono[selected]!)) + 0.5;
      if (x >= LABEL_W && x <= LABEL_W + plotW) {
        const m = store.method[selected]!;
        ctx.strokeStyle = c.text;
        ctx.lineWidth = 1;
        ctx.setLineDash([3, 2]);
        ctx.beginPath();
        ctx.moveTo(x, AXIS_H);
        ctx.lineTo(x, height - 4);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = c.text;
        const y = AXIS_H + m * LANE_H + LANE_H / 2;
        ctx.beginPath();
        ctx.moveTo(x, y - 6);
        ctx.lineTo(x + 5, y);
        ctx.lineTo(x, y + 6);
        ctx.lineTo(x - 5, y);
        ctx.closePath();
        ctx.fill();
      }
    }
    ctx.strokeStyle = c.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(LABEL_W + 0.5, AXIS_H + 0.5, plotW - 1, lanes * LANE_H);
  });

  const localX = (e: { clientX: number }) => {
    const r = canvasRef.current!.getBoundingClientRect();
    return e.clientX - r.left;
  };
  const clampX = (x: number) => Math.max(LABEL_W, Math.min(LABEL_W + plotW, x));

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    const x = localX(e);
    if (x < LABEL_W) return;
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
      const a = tOf(Math.min(d.x0, d.x1)), b = tOf(Math.max(d.x0, d.x1));
      onBrush({ t0: a, t1: b });
      return;
    }
    // A click: the nearest shown call in that lane, within a few pixels.
    const r = canvasRef.current!.getBoundingClientRect();
    const lane = Math.floor((e.clientY - r.top - AXIS_H) / LANE_H);
    const pxSec = (shown.t1 - shown.t0) / plotW;
    const call = nearestCall(store.tMono, store.method, count, rows, lane >= 0 && lane < lanes ? lane : -1, tOf(d.x0), pxSec * 6);
    if (call >= 0) onSelect(call);
  };

  // A cancelled pointer (a touch turned into a scroll, a system gesture) or a lost capture ends the
  // drag without brushing; otherwise the brush would stay stuck to the next pointer move.
  const endDrag = () => {
    if (drag) setDrag(null);
  };

  const zoom = (factor: number, at?: number) => setView(zoomAt(shown, at ?? (shown.t0 + shown.t1) / 2, factor, extent));
  const pan = (fraction: number) => setView(panBy(shown, (shown.t1 - shown.t0) * fraction, extent));

  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan((e.shiftKey ? e.deltaY : e.deltaX) / 600);
    else zoom(Math.pow(1.0015, e.deltaY), tOf(Math.max(LABEL_W, localX(e))));
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    switch (e.key) {
      case '+':
      case '=':
        zoom(0.5);
        break;
      case '-':
        zoom(2);
        break;
      case 'ArrowLeft':
        pan(-0.2);
        break;
      case 'ArrowRight':
        pan(0.2);
        break;
      case '0':
        setView(null);
        break;
      case 'Escape':
        onBrush(null);
        break;
      default:
        return;
    }
    e.preventDefault();
  };

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
    <div className="timeline" ref={wrapRef} role="group" aria-label="Timeline" tabIndex={0} onKeyDown={onKeyDown} data-testid="timeline"
      data-view-t0={shown.t0} data-view-t1={shown.t1}>
      <canvas
        ref={canvasRef}
        style={{ width, height }}
        aria-hidden="true"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={endDrag}
        onLostPointerCapture={endDrag}
        onWheel={onWheel}
      />
      <div className="timeline-tools">
        <button type="button" className="btn btn-small" onClick={() => zoom(0.5)} title="Zoom in (+)">+</button>
        <button type="button" className="btn btn-small" onClick={() => zoom(2)} title="Zoom out (−)">−</button>
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

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M/s`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k/s`;
  return `${r.toFixed(r < 10 ? 1 : 0)}/s`;
}
