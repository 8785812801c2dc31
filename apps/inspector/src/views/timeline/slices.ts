import { SLICE_TRACKS, SliceStatus, type SliceColumns } from '../../model/queries.ts';
import type { TimeRange } from '../../model/timeline.ts';

/** Per track and pixel column: how many slices of each status cover it. */
export interface SliceCoverage {
  tracks: number;
  columns: number;
  /** [track * columns + column] */
  ok: Uint32Array;
  leaked: Uint32Array;
  undecided: Uint32Array;
  /** Largest `ok` count, for shading. */
  max: number;
}

/** SLICE_TRACKS positions. */
const WAIT = 0, READ = 1, RELEASE = 2, WRITE = 3;

/**
 * Bins request spans' slices into pixel columns with difference arrays: O(spans + columns)
 * whatever the zoom, so a million requests draw as fast as ten. A read is its wait (submit to
 * enter, or to its end if never read), read (enter to exit, or to its end) and release (exit to
 * end) slices, a write one slice; a slice's times are `time` (the store's t_mono) at its calls, and
 * a call not in `time` yet (a live trace's store behind its index) counts as not reached. A slice
 * narrower than a column still marks the one it starts in (it never vanishes when zoomed out); one
 * with no end runs to the right edge. Overlapping slices (concurrent requests) add up, and the
 * count shades the column like the method lanes' densities.
 */
export function sliceCoverage(s: SliceColumns, time: Float64Array, view: TimeRange, columns: number): SliceCoverage {
  const cols = Math.max(1, Math.floor(columns));
  const tracks = SLICE_TRACKS.length;
  const diff = [new Int32Array(tracks * (cols + 1)), new Int32Array(tracks * (cols + 1)), new Int32Array(tracks * (cols + 1))] as const;
  const scale = cols / (view.t1 - view.t0);
  const at = (call: number): number => (call < 0 || call >= time.length ? NaN : time[call]!);
  const mark = (track: number, t0: number, end: number, d: Int32Array): void => {
    if (Number.isNaN(t0)) return;
    const t1 = Number.isNaN(end) ? Infinity : end;
    if (!(t1 >= view.t0) || !(t0 <= view.t1)) return;
    // A slice starting at the view's right edge marks the last column (floor would give `cols`).
    const a = Math.min(cols - 1, Math.max(0, Math.floor((t0 - view.t0) * scale)));
    const b = Math.min(cols - 1, Math.max(a, Math.floor((Math.min(t1, view.t1) - view.t0) * scale)));
    const base = track * (cols + 1);
    d[base + a]!++;
    d[base + b + 1]!--;
  };
  for (let i = 0; i < s.length; i++) {
    const st = s.status[i]!;
    const d = diff[st === SliceStatus.ok ? 0 : st === SliceStatus.leaked ? 1 : 2];
    const t0 = at(s.start[i]!), t1 = at(s.end[i]!);
    if (s.kind[i] === 0) {
      mark(WRITE, t0, t1, d);
      continue;
    }
    const tEnter = at(s.enter[i]!), tExit = at(s.exit[i]!);
    mark(WAIT, t0, Number.isNaN(tEnter) ? t1 : tEnter, d);
    mark(READ, tEnter, Number.isNaN(tExit) ? t1 : tExit, d);
    mark(RELEASE, tExit, t1, d);
  }
  const out = [new Uint32Array(tracks * cols), new Uint32Array(tracks * cols), new Uint32Array(tracks * cols)] as const;
  let max = 0;
  for (let k = 0; k < 3; k++) {
    for (let tr = 0; tr < tracks; tr++) {
      let run = 0;
      for (let c = 0; c < cols; c++) {
        run += diff[k]![tr * (cols + 1) + c]!;
        out[k]![tr * cols + c] = run;
        if (k === 0 && run > max) max = run;
      }
    }
  }
  return { tracks, columns: cols, ok: out[0], leaked: out[1], undecided: out[2], max };
}
