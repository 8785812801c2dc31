import { describe, expect, it } from 'vitest';
import { density, nearestCall, type TimeRange } from '../../model/timeline.ts';
import { drawTimeline, fitText, tickLabel, timelineLayout, xOfTime, type DrawContext, type TimelineColors, type TimelineScene } from './draw.ts';
import { SLICE_TRACKS, SliceStatus, type SliceColumns } from '../../model/queries.ts';
import { sliceCoverage } from './slices.ts';

/** A 2D context that records what is drawn; text is 6.6 px a character (11 px monospace). */
class FakeContext implements DrawContext {
  fillStyle: string | CanvasGradient | CanvasPattern = '#000';
  strokeStyle: string | CanvasGradient | CanvasPattern = '#000';
  lineWidth = 1;
  globalAlpha = 1;
  font = '';
  textBaseline: CanvasTextBaseline = 'alphabetic';
  textAlign: CanvasTextAlign = 'left';
  rects: { x: number; y: number; w: number; h: number; fill: string; alpha: number }[] = [];
  texts: { text: string; x: number; y: number; fill: string }[] = [];
  fillRect(x: number, y: number, w: number, h: number): void {
    this.rects.push({ x, y, w, h, fill: String(this.fillStyle), alpha: this.globalAlpha });
  }
  strokeRect(): void {}
  beginPath(): void {}
  moveTo(): void {}
  lineTo(): void {}
  closePath(): void {}
  stroke(): void {}
  fill(): void {}
  fillText(text: string, x: number, y: number): void {
    this.texts.push({ text, x, y, fill: String(this.fillStyle) });
  }
  measureText(text: string): { width: number } {
    return { width: text.length * 6.6 };
  }
  setLineDash(): void {}
}

const LIGHT: TimelineColors = { text: '#111', muted: '#666', border: '#ddd', panel: '#fff', panel2: '#eee', accent: '#26e', err: '#b00', dark: false };
const DARK: TimelineColors = { ...LIGHT, text: '#ddd', panel: '#161a20', panel2: '#1c2129', dark: true };
const METHODS = ['reserve_write', 'finish_write', 'submit_prefetch_task', 'read_prefetched.__enter__', 'read_prefetched.__exit__', 'finish_read_prefetched'];

/** One call per method every 10 ms over `seconds`. */
function calls(seconds: number) {
  const n = Math.round(seconds * 100);
  const tMono = new Float64Array(n), method = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    tMono[i] = i / 100;
    method[i] = i % METHODS.length;
  }
  return { tMono, method, n };
}

function scene(width: number, view: TimeRange, over: Partial<TimelineScene> = {}, slices: { spans: SliceColumns; time: Float64Array } | null = null): TimelineScene {
  const layout = timelineLayout(width, METHODS, slices ? SLICE_TRACKS.length : 0);
  const { tMono, method, n } = calls(view.t1);
  return {
    layout,
    view,
    colors: LIGHT,
    lanes: METHODS.map((label, i) => ({ label, hue: i * 60, off: false })),
    all: density(tMono, method, n, null, METHODS.length, view, layout.plotW),
    hit: null,
    slices: slices ? sliceCoverage(slices.spans, slices.time, view, layout.plotW) : null,
    window: null,
    brush: null,
    selected: null,
    marks: [],
    ...over,
  };
}

describe('tick labels', () => {
  it('show the decimals their step needs, no more', () => {
    expect(tickLabel(2, 1)).toBe('2 s');
    expect(tickLabel(2, 2)).toBe('2 s');
    expect(tickLabel(2.5, 0.5)).toBe('2.5 s');
    expect(tickLabel(0.125, 0.005)).toBe('0.125 s');
    expect(tickLabel(1.0002, 0.0001)).toBe('1.0002 s');
    expect(tickLabel(-0, 1)).toBe('0 s');
  });

  it('are drawn short, and inside the canvas even at the right edge', () => {
    for (const [width, span] of [
      [1440, 13.45],
      [1280, 10],
      [700, 0.01],
      [900, 2],
    ] as const) {
      const ctx = new FakeContext();
      const s = scene(width, { t0: 0, t1: span });
      const r = drawTimeline(ctx, s);
      expect(r.ticks.length).toBeGreaterThan(1);
      for (const t of r.ticks) {
        expect(t.text).toMatch(/^\d+(\.\d{1,4})? s$/);
        expect(t.x).toBeGreaterThanOrEqual(0);
        expect(t.x + t.width).toBeLessThanOrEqual(width);
      }
      // The last tick of a span that ends on one (10 s) is flipped left of its line, not cut.
      if (span === 10) expect(r.ticks.at(-1)!.text).toBe('10 s');
    }
  });
});

describe('lane labels', () => {
  it('fit their column whole, or shortened in the middle', () => {
    const ctx = new FakeContext();
    const s = scene(1000, { t0: 0, t1: 1 });
    const r = drawTimeline(ctx, s);
    const lanes = r.labels.slice(0, METHODS.length).map((l) => l.text);
    expect(lanes).toEqual(METHODS);
    for (const l of r.labels) expect(l.x + l.width).toBeLessThanOrEqual(s.layout.labelW - 18);

    const long = 'a.very.long.module.path.StorageManager.some_really_long_method_name';
    const wide = timelineLayout(1000, [long], 0);
    expect(wide.labelW).toBe(240);
    const fitted = fitText(ctx, long, 100);
    expect(ctx.measureText(fitted).width).toBeLessThanOrEqual(100);
    expect(fitted.startsWith('a.very')).toBe(true);
    expect(fitted.endsWith('name')).toBe(true);
    expect(fitted).toContain('…');
  });
});

describe('drawTimeline', () => {
  it('paints with the scene colours (a theme change is a new scene)', () => {
    const light = new FakeContext();
    drawTimeline(light, scene(800, { t0: 0, t1: 1 }));
    const dark = new FakeContext();
    drawTimeline(dark, scene(800, { t0: 0, t1: 1 }, { colors: DARK }));
    expect(light.rects[0]).toMatchObject({ x: 0, y: 0, fill: LIGHT.panel });
    expect(dark.rects[0]).toMatchObject({ x: 0, y: 0, fill: DARK.panel });
    // Lane ticks are lighter on dark backgrounds.
    expect(light.rects.some((r) => r.fill.endsWith('45%)'))).toBe(true);
    expect(dark.rects.some((r) => r.fill.endsWith('62%)'))).toBe(true);
  });

  it('draws a call per column of its lane, and greys what the filter hides', () => {
    const ctx = new FakeContext();
    const s = scene(800, { t0: 0, t1: 1 });
    const { tMono, method, n } = calls(1);
    const rows = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => method[i] === 0);
    drawTimeline(ctx, { ...s, hit: density(tMono, method, n, rows, METHODS.length, s.view, s.layout.plotW) });
    const laneTicks = (lane: number) => ctx.rects.filter((r) => r.w === 1 && r.y === s.layout.lanesTop + lane * s.layout.laneH + 2);
    expect(laneTicks(0).length).toBeGreaterThan(10);
    expect(laneTicks(0).every((r) => r.fill.startsWith('hsl(0 '))).toBe(true);
    expect(laneTicks(1).every((r) => r.fill === LIGHT.muted)).toBe(true);
  });

  it('marks the selected call and bookmarks at their time', () => {
    const ctx = new FakeContext();
    const s = scene(800, { t0: 0, t1: 1 }, { marks: [{ t: 0.5, lane: 2 }] });
    drawTimeline(ctx, s);
    const x = Math.round(xOfTime(s.layout, s.view, 0.5)) + 0.5;
    expect(ctx.rects).toContainEqual(expect.objectContaining({ x: x - 0.5, y: s.layout.axisH + 2 * s.layout.laneH, fill: LIGHT.accent }));
  });
});

describe('server tracks (several traces open)', () => {
  it('draw a track per server above the method lanes, from the file column mapped to traces', () => {
    const view = { t0: 0, t1: 1 };
    const { tMono, method, n } = calls(1);
    // Three files: file 0 is server 0, files 1 and 2 (a rotated recording) server 1; calls go round them.
    const file = Uint16Array.from({ length: n }, (_, i) => i % 3);
    const traceOf = Uint16Array.from([0, 1, 1]);
    const layout = timelineLayout(800, METHODS, 0, ['node-a', 'node-b']);
    expect(layout.serverLanes).toBe(2);
    expect(layout.lanesTop).toBe(layout.axisH + 2 * layout.laneH + 6);
    const all = density(tMono, file, n, null, 2, view, layout.plotW, traceOf);
    expect(all.counts.slice(0, all.columns).reduce((a, b) => a + b, 0)).toBe(Math.ceil(n / 3));
    expect(all.counts.slice(all.columns).reduce((a, b) => a + b, 0)).toBe(n - Math.ceil(n / 3));
    const ctx = new FakeContext();
    const s = { ...scene(800, view), layout, all: density(tMono, method, n, null, METHODS.length, view, layout.plotW) };
    const report = drawTimeline(ctx, { ...s, servers: { lanes: [{ label: 'node-a', hue: 200, off: false }, { label: 'node-b', hue: 337, off: false }], all, hit: null }, selected: { t: 0.5, lane: 1, server: 1 } });
    expect(report.labels.slice(0, 3).map((l) => l.text)).toEqual(['node-a', 'node-b', METHODS[0]]);
    const ticksAt = (y: number) => ctx.rects.filter((r) => r.w === 1 && r.y === y);
    expect(ticksAt(layout.axisH + 2).every((r) => r.fill.startsWith('hsl(200 '))).toBe(true);
    expect(ticksAt(layout.axisH + layout.laneH + 2).length).toBeGreaterThan(10);
    // Method lanes start below the tracks.
    expect(ticksAt(layout.lanesTop + 2).every((r) => r.fill.startsWith('hsl(0 '))).toBe(true);
    expect(ticksAt(layout.lanesTop + 2).length).toBeGreaterThan(10);
    // The nearest call of a server track: the file column through the same map.
    expect(nearestCall(tMono, file, n, null, 0, 0.5, 0.02, traceOf) % 3).toBe(0);
    expect([1, 2]).toContain(nearestCall(tMono, file, n, null, 1, 0.5, 0.02, traceOf) % 3);
  });
});

describe('request slices', () => {
  // Calls' times (the store's t_mono): two reads never entered, ended at 0.3 and 0.4 (their waits
  // overlap 0.2-0.3 on track 0); a leaked read submitted and entered at 0.5, never released (its
  // read runs open on track 1); an undecided write reserved at 0.6, open (track 3).
  const time = Float64Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 0.6]);
  const spans: SliceColumns = {
    length: 4,
    kind: Uint8Array.from([1, 1, 1, 0]),
    status: Uint8Array.from([SliceStatus.ok, SliceStatus.ok, SliceStatus.leaked, SliceStatus.undecided]),
    start: Int32Array.from([0, 1, 4, 6]),
    enter: Int32Array.from([-1, -1, 5, -1]),
    exit: Int32Array.from([-1, -1, -1, -1]),
    end: Int32Array.from([2, 3, -1, -1]),
  };
  const slices = { spans, time };

  it('bins into columns: a read cut into its phases, overlaps add up, open spans run to the end', () => {
    const cov = sliceCoverage(spans, time, { t0: 0, t1: 1 }, 10);
    const row = (a: Uint32Array, track: number) => Array.from(a.subarray(track * 10, track * 10 + 10));
    expect(row(cov.ok, 0)).toEqual([0, 1, 2, 2, 1, 0, 0, 0, 0, 0]);
    // The leaked read's zero-length wait still marks its column; its read runs open.
    expect(row(cov.leaked, 0)).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
    expect(row(cov.leaked, 1)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    expect(row(cov.undecided, 3)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
    expect(row(cov.ok, 2)).toEqual(new Array(10).fill(0));
    expect(cov.max).toBe(2);
    // Zoomed in on 0.245-0.345: a slice wider than the view covers all of it; one ending inside (0.3, column 5) stops there.
    const z = sliceCoverage(spans, time, { t0: 0.245, t1: 0.345 }, 10);
    expect(Array.from(z.ok.subarray(0, 10))).toEqual([2, 2, 2, 2, 2, 2, 1, 1, 1, 1]);
    // A slice narrower than a column still shows.
    const one = { ...spans, length: 1, start: Int32Array.of(0), end: Int32Array.of(1) };
    const tiny = sliceCoverage(one, Float64Array.of(0.501, 0.5011), { t0: 0, t1: 1 }, 10);
    expect(Array.from(tiny.ok.subarray(0, 10))).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
  });

  it('a read entered, exited and released is three slices; a call the store does not have yet is not reached', () => {
    const read: SliceColumns = { length: 1, kind: Uint8Array.of(1), status: Uint8Array.of(SliceStatus.ok), start: Int32Array.of(0), enter: Int32Array.of(1), exit: Int32Array.of(2), end: Int32Array.of(3) };
    const row = (a: Uint32Array, track: number) => Array.from(a.subarray(track * 10, track * 10 + 10));
    const cov = sliceCoverage(read, Float64Array.from([0.1, 0.3, 0.6, 0.8]), { t0: 0, t1: 1 }, 10);
    expect([0, 1, 2, 3].map((t) => row(cov.ok, t))).toEqual([
      [0, 1, 1, 1, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 1, 1, 1, 1, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 1, 1, 1, 0],
      new Array(10).fill(0),
    ]);
    // A phase that starts at the view's right edge (the trace's last call) still marks the last column.
    const atEnd = sliceCoverage(read, Float64Array.from([0.1, 0.3, 1, 1]), { t0: 0, t1: 1 }, 10);
    expect(row(atEnd.ok, 2)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    // A live trace's store behind its index: the release (call 3) is not in it, so the read's last phase runs open.
    const behind = sliceCoverage(read, Float64Array.from([0.1, 0.3, 0.6]), { t0: 0, t1: 1 }, 10);
    expect(row(behind.ok, 2)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1]);
  });

  it('draws one labelled track per phase: leaked in the error colour, undecided striped', () => {
    const ctx = new FakeContext();
    const s = scene(800, { t0: 0, t1: 1 }, {}, slices);
    const r = drawTimeline(ctx, s);
    expect(r.labels.map((l) => l.text)).toEqual(expect.arrayContaining([...SLICE_TRACKS]));
    const inTrack = (tr: number) => ctx.rects.filter((x) => x.w === 1 && x.y === s.layout.tracksTop + tr * s.layout.trackH + 2);
    const col = (t: number) => Math.floor(t * s.layout.plotW);
    const leaked = inTrack(1);
    expect(leaked.every((x) => x.fill === LIGHT.err)).toBe(true);
    expect(leaked[0]!.x - s.layout.labelW).toBe(col(0.5));
    expect(leaked.at(-1)!.x - s.layout.labelW).toBe(s.layout.plotW - 1);
    // Track 0: the two waits in the wait hue, and the leaked read's zero-length wait in the error colour.
    const wait = inTrack(0).filter((x) => x.fill !== LIGHT.err);
    expect(inTrack(0).filter((x) => x.fill === LIGHT.err).map((x) => x.x - s.layout.labelW)).toEqual([col(0.5)]);
    expect(wait.every((x) => x.fill.startsWith('hsl(200 '))).toBe(true);
    const overlap = wait.find((x) => x.x - s.layout.labelW === col(0.25))!;
    const single = wait.find((x) => x.x - s.layout.labelW === col(0.15))!;
    expect(overlap.alpha).toBeGreaterThan(single.alpha);
    const undecided = inTrack(3);
    expect(undecided.every((x) => x.fill === LIGHT.muted)).toBe(true);
    // Striped: some columns of the span are left out.
    expect(undecided.length).toBeLessThan(s.layout.plotW - col(0.6));
    expect(undecided.length).toBeGreaterThan(0);
    expect(inTrack(2)).toEqual([]);
  });
});
