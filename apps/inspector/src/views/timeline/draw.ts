import { tickStep, type Density, type TimeRange } from '../../model/timeline.ts';
import { SLICE_TRACKS } from '../../model/queries.ts';
import type { SliceCoverage } from './slices.ts';

/**
 * The timeline's pure drawing: a scene (layout, view, densities, slices, selection, colours) in,
 * canvas calls out. No React and no DOM beyond the context's own methods, so it is tested with a
 * recording fake context. The component (Timeline.tsx) only wires state into a scene.
 */

/** What the drawing uses of a CanvasRenderingContext2D (a real one fits). */
export interface DrawContext {
  fillStyle: string | CanvasGradient | CanvasPattern;
  strokeStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  globalAlpha: number;
  font: string;
  textBaseline: CanvasTextBaseline;
  textAlign: CanvasTextAlign;
  fillRect(x: number, y: number, w: number, h: number): void;
  strokeRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  closePath(): void;
  stroke(): void;
  fill(): void;
  fillText(text: string, x: number, y: number): void;
  measureText(text: string): { width: number };
  setLineDash(segments: number[]): void;
}

export interface TimelineColors {
  text: string;
  muted: string;
  border: string;
  panel: string;
  panel2: string;
  accent: string;
  err: string;
  dark: boolean;
}

const FONT = '11px ui-monospace, Menlo, Consolas, monospace';
/** A monospace character at FONT, for the layout (drawing measures the real text). */
const CHAR_W = 6.7;
const AXIS_H = 18;
const LANE_H = 15;
const TRACK_H = 12;
const RATE_H = 34;
/** Between the server tracks and the method lanes. */
const SERVER_GAP = 6;
const PAD_R = 10;
/** Left of the plot: 8 px margin, the label, a gap, the 4 px colour bar, a gap. */
const LABEL_PAD = 8 + 8 + 4 + 6;

export interface Layout {
  width: number;
  height: number;
  /** Left edge of the plot (labels to its left). */
  labelW: number;
  plotW: number;
  axisH: number;
  laneH: number;
  /** Server tracks (several traces open), from the axis down; 0 for one trace. */
  serverLanes: number;
  /** Top of the method lanes (below the server tracks). */
  lanesTop: number;
  lanes: number;
  tracksTop: number;
  trackH: number;
  tracks: number;
  rateTop: number;
  rateH: number;
}

/**
 * Geometry for a width, lane labels, slice tracks and server tracks (one per server when several
 * traces are open): the label column fits the longest label (within bounds).
 */
export function timelineLayout(width: number, labels: readonly string[], tracks: number, servers: readonly string[] = []): Layout {
  const longest = Math.max(8, ...labels.map((l) => l.length), ...servers.map((l) => l.length));
  const labelW = Math.round(Math.min(240, Math.max(120, longest * CHAR_W + LABEL_PAD)));
  const lanes = Math.max(1, labels.length);
  const serverLanes = servers.length;
  const lanesTop = AXIS_H + (serverLanes > 0 ? serverLanes * LANE_H + SERVER_GAP : 0);
  const tracksTop = lanesTop + lanes * LANE_H + (tracks > 0 ? 4 : 0);
  const rateTop = tracksTop + tracks * TRACK_H + 4;
  return {
    width,
    height: rateTop + RATE_H + 2,
    labelW,
    plotW: Math.max(1, width - labelW - PAD_R),
    axisH: AXIS_H,
    laneH: LANE_H,
    serverLanes,
    lanesTop,
    lanes,
    tracksTop,
    trackH: TRACK_H,
    tracks,
    rateTop,
    rateH: RATE_H,
  };
}

export interface Lane {
  label: string;
  hue: number;
  /** Turned off by the method filter: drawn dimmed. */
  off: boolean;
}

/** The server tracks: one lane per server, its calls' density (and the filter's share of them). */
export interface ServerTracks {
  lanes: readonly Lane[];
  all: Density;
  hit: Density | null;
}

export interface TimelineScene {
  layout: Layout;
  view: TimeRange;
  colors: TimelineColors;
  lanes: readonly Lane[];
  all: Density;
  /** The filter's calls (null: no filter). */
  hit: Density | null;
  /** Several traces open: a track per server above the method lanes. */
  servers?: ServerTracks | null;
  slices: SliceCoverage | null;
  /** The time-window filter, dimming what is outside it. */
  window: TimeRange | null;
  /** The brush being dragged, in pixels. */
  brush: { x0: number; x1: number } | null;
  /** `server`: its server track, when there are server tracks. */
  selected: { t: number; lane: number; server?: number } | null;
  /** Bookmarked calls. */
  marks: readonly { t: number; lane: number }[];
}

/** Text the drawing placed, for tests and the page's data attributes: what and where. */
export interface DrawnText {
  text: string;
  x: number;
  width: number;
}

export interface DrawReport {
  ticks: DrawnText[];
  labels: DrawnText[];
}

/** Hues of the slice tracks (wait, read, release, write), near the methods that bound them. */
const TRACK_HUES = [200, 160, 335, 28];

export const xOfTime = (l: Layout, v: TimeRange, t: number): number => l.labelW + ((t - v.t0) / (v.t1 - v.t0)) * l.plotW;
export const timeOfX = (l: Layout, v: TimeRange, x: number): number => v.t0 + ((x - l.labelW) / l.plotW) * (v.t1 - v.t0);

/** A tick's label with as many decimals as its step needs: "2 s", "2.5 s", "0.125 s". */
export function tickLabel(t: number, step: number): string {
  const decimals = Math.max(0, Math.min(9, -Math.floor(Math.log10(step) + 1e-9)));
  const s = t.toFixed(decimals);
  return `${s === '-0' ? '0' : s} s`;
}

/** Shortens a label to fit `maxW` by cutting its middle ("read_pre…__enter__"): both ends tell methods apart. */
export function fitText(ctx: DrawContext, text: string, maxW: number): string {
  if (ctx.measureText(text).width <= maxW) return text;
  for (let keep = text.length - 1; keep > 1; keep--) {
    const head = Math.ceil(keep / 2), tail = keep - head;
    const s = `${text.slice(0, head)}…${tail > 0 ? text.slice(text.length - tail) : ''}`;
    if (ctx.measureText(s).width <= maxW) return s;
  }
  return '…';
}

export function drawTimeline(ctx: DrawContext, s: TimelineScene): DrawReport {
  const { layout: L, view: v, colors: c } = s;
  const report: DrawReport = { ticks: [], labels: [] };
  const x = (t: number) => xOfTime(L, v, t);
  const right = L.labelW + L.plotW;
  ctx.globalAlpha = 1;
  ctx.fillStyle = c.panel;
  ctx.fillRect(0, 0, L.width, L.height);
  ctx.font = FONT;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';

  // Axis: labels sit right of their tick, or left of it where they would leave the canvas.
  const step = tickStep(v.t1 - v.t0, Math.max(2, Math.floor(L.plotW / 110)));
  ctx.strokeStyle = c.border;
  ctx.lineWidth = 1;
  for (let t = Math.ceil(v.t0 / step) * step; t <= v.t1 + step * 1e-9; t += step) {
    const tx = Math.round(x(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(tx, L.axisH - 4);
    ctx.lineTo(tx, L.height - 4);
    ctx.stroke();
    const text = tickLabel(t, step);
    const w = ctx.measureText(text).width;
    const lx = tx + 3 + w <= L.width - 2 ? tx + 3 : tx - 3 - w;
    ctx.fillStyle = c.muted;
    ctx.fillText(text, lx, L.axisH / 2);
    report.ticks.push({ text, x: lx, width: w });
  }

  const label = (text: string, y: number, color: string, alpha = 1) => {
    const fitted = fitText(ctx, text, L.labelW - LABEL_PAD);
    ctx.globalAlpha = alpha;
    ctx.fillStyle = color;
    ctx.fillText(fitted, 8, y);
    ctx.globalAlpha = 1;
    report.labels.push({ text: fitted, x: 8, width: ctx.measureText(fitted).width });
  };

  // Server tracks, then method lanes: shaded by log density; calls hidden by the filter grey.
  if (s.servers && L.serverLanes > 0) drawLanes(ctx, s, L.axisH, L.serverLanes, s.servers.lanes, s.servers.all, s.servers.hit, label);
  drawLanes(ctx, s, L.lanesTop, L.lanes, s.lanes, s.all, s.hit, label);

  if (s.slices && L.tracks > 0) drawSlices(ctx, s, s.slices, label);

  // Rate strip: calls/s of the shown calls, columns merged so one-call-per-pixel zooms still read.
  const rate = s.hit ?? s.all;
  const colSec = (v.t1 - v.t0) / s.all.columns;
  ctx.fillStyle = c.panel2;
  ctx.fillRect(L.labelW, L.rateTop, L.plotW, L.rateH - 4);
  const group = Math.max(1, Math.round(s.all.columns / 240));
  let peak = 0;
  const sums: number[] = [];
  for (let col = 0; col < s.all.columns; col += group) {
    let sum = 0;
    for (let k = col; k < Math.min(s.all.columns, col + group); k++) sum += rate.total[k]!;
    sums.push(sum);
    peak = Math.max(peak, sum);
  }
  ctx.fillStyle = c.accent;
  ctx.globalAlpha = 0.75;
  sums.forEach((sum, i) => {
    const h = peak > 0 ? Math.round((sum / peak) * (L.rateH - 6)) : 0;
    if (h > 0) ctx.fillRect(L.labelW + i * group, L.rateTop + L.rateH - 4 - h, group, h);
  });
  ctx.globalAlpha = 1;
  const mid = L.rateTop + (L.rateH - 4) / 2;
  label('calls/s', mid - 6, c.muted);
  if (peak > 0) label(`peak ${formatRate(peak / (colSec * group))}`, mid + 7, c.text);

  // The time window (the filter) and the brush being dragged: the outside is dimmed.
  const dim = (x0: number, x1: number) => {
    ctx.fillStyle = c.dark ? 'rgb(0 0 0 / 0.55)' : 'rgb(255 255 255 / 0.72)';
    const a = Math.max(L.labelW, Math.min(x0, x1)), b = Math.min(right, Math.max(x0, x1));
    if (a > L.labelW) ctx.fillRect(L.labelW, L.axisH, a - L.labelW, L.height - L.axisH);
    if (b < right) ctx.fillRect(b, L.axisH, right - b, L.height - L.axisH);
    ctx.strokeStyle = c.accent;
    ctx.lineWidth = 1.5;
    for (const e of [a, b]) {
      if (e <= L.labelW || e >= right) continue;
      ctx.beginPath();
      ctx.moveTo(e, L.axisH);
      ctx.lineTo(e, L.height);
      ctx.stroke();
    }
  };
  if (s.brush) dim(s.brush.x0, s.brush.x1);
  else if (s.window) dim(x(s.window.t0), x(s.window.t1));

  // Bookmarks: a small flag on the axis and a tick in the call's lane.
  for (const m of s.marks) {
    const mx = Math.round(x(m.t)) + 0.5;
    if (mx < L.labelW || mx > right) continue;
    ctx.fillStyle = c.accent;
    ctx.beginPath();
    ctx.moveTo(mx, L.axisH - 8);
    ctx.lineTo(mx + 6, L.axisH - 5);
    ctx.lineTo(mx, L.axisH - 2);
    ctx.closePath();
    ctx.fill();
    ctx.fillRect(mx - 0.5, L.lanesTop + m.lane * L.laneH, 1.5, L.laneH);
  }

  // The selected call: a dashed line and a diamond in its lane.
  if (s.selected) {
    const sx = Math.round(x(s.selected.t)) + 0.5;
    if (sx >= L.labelW && sx <= right) {
      ctx.strokeStyle = c.text;
      ctx.lineWidth = 1;
      ctx.setLineDash([3, 2]);
      ctx.beginPath();
      ctx.moveTo(sx, L.axisH);
      ctx.lineTo(sx, L.height - 4);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = c.text;
      const diamond = (y: number) => {
        ctx.beginPath();
        ctx.moveTo(sx, y - 6);
        ctx.lineTo(sx + 5, y);
        ctx.lineTo(sx, y + 6);
        ctx.lineTo(sx - 5, y);
        ctx.closePath();
        ctx.fill();
      };
      diamond(L.lanesTop + s.selected.lane * L.laneH + L.laneH / 2);
      if (s.selected.server !== undefined && L.serverLanes > 0) diamond(L.axisH + s.selected.server * L.laneH + L.laneH / 2);
    }
  }
  ctx.strokeStyle = c.border;
  ctx.lineWidth = 1;
  if (L.serverLanes > 0) ctx.strokeRect(L.labelW + 0.5, L.axisH + 0.5, L.plotW - 1, L.serverLanes * L.laneH);
  ctx.strokeRect(L.labelW + 0.5, L.lanesTop + 0.5, L.plotW - 1, L.lanes * L.laneH);
  return report;
}

/** Lanes from `top`: a label and colour bar each, columns shaded by log density, the filter's share in colour. */
function drawLanes(
  ctx: DrawContext,
  s: TimelineScene,
  top: number,
  count: number,
  lanes: readonly Lane[],
  all: Density,
  hit: Density | null,
  label: (text: string, y: number, color: string, alpha?: number) => void,
): void {
  const { layout: L, colors: c } = s;
  const logMax = Math.log1p(all.max);
  for (let m = 0; m < count; m++) {
    const y = top + m * L.laneH;
    const lane = lanes[m] ?? { label: '', hue: 0, off: false };
    if (m % 2 === 1) {
      ctx.fillStyle = c.panel2;
      ctx.fillRect(L.labelW, y, L.plotW, L.laneH);
    }
    label(lane.label, y + L.laneH / 2, lane.off ? c.muted : c.text, lane.off ? 0.5 : 1);
    ctx.fillStyle = `hsl(${lane.hue} 70% 50%)`;
    ctx.fillRect(L.labelW - 10, y + 4, 4, L.laneH - 8);
    const base = m * all.columns;
    for (let col = 0; col < all.columns; col++) {
      const n = all.counts[base + col]!;
      if (n === 0) continue;
      const shade = 0.35 + 0.65 * (Math.log1p(n) / logMax);
      const inHit = hit === null ? n : hit.counts[base + col]!;
      if (inHit > 0 && !lane.off) {
        ctx.globalAlpha = shade;
        ctx.fillStyle = `hsl(${lane.hue} 75% ${c.dark ? 62 : 45}%)`;
      } else {
        ctx.globalAlpha = 0.25 * shade;
        ctx.fillStyle = c.muted;
      }
      ctx.fillRect(L.labelW + col, y + 2, 1, L.laneH - 4);
    }
    ctx.globalAlpha = 1;
  }
}

/**
 * Request slices, one track per phase: covered columns in the phase's hue shaded by how many
 * requests overlap there; a leaked span in the error colour over everything; an undecided one
 * (still open at the end of a growing trace) striped grey.
 */
function drawSlices(ctx: DrawContext, s: TimelineScene, cov: SliceCoverage, label: (text: string, y: number, color: string) => void): void {
  const { layout: L, colors: c } = s;
  const logMax = Math.log1p(Math.max(1, cov.max));
  for (let tr = 0; tr < Math.min(L.tracks, cov.tracks); tr++) {
    const y = L.tracksTop + tr * L.trackH;
    label(SLICE_TRACKS[tr] ?? '', y + L.trackH / 2, c.muted);
    ctx.fillStyle = c.panel2;
    ctx.fillRect(L.labelW, y + 1, L.plotW, L.trackH - 2);
    const base = tr * cov.columns;
    const hue = TRACK_HUES[tr] ?? 0;
    for (let col = 0; col < cov.columns; col++) {
      const k = base + col;
      if (cov.leaked[k]! > 0) {
        ctx.globalAlpha = 1;
        ctx.fillStyle = c.err;
      } else if (cov.ok[k]! > 0) {
        ctx.globalAlpha = 0.4 + 0.6 * (Math.log1p(cov.ok[k]!) / logMax);
        ctx.fillStyle = `hsl(${hue} 65% ${c.dark ? 60 : 48}%)`;
      } else if (cov.undecided[k]! > 0) {
        if (col % 3 === 2) continue;
        ctx.globalAlpha = 0.6;
        ctx.fillStyle = c.muted;
      } else continue;
      ctx.fillRect(L.labelW + col, y + 2, 1, L.trackH - 4);
    }
    ctx.globalAlpha = 1;
  }
}

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(1)}M/s`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k/s`;
  return `${r.toFixed(r < 10 ? 1 : 0)}/s`;
}
