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

/**
 * Bins slices into pixel columns with difference arrays: O(slices + columns) whatever the zoom,
 * so a million requests draw as fast as ten. A slice narrower than a column still marks the one
 * it starts in (it never vanishes when zoomed out). Overlapping slices (concurrent requests) add
 * up, and the count shades the column like the method lanes' densities.
 */
export function sliceCoverage(s: SliceColumns, view: TimeRange, columns: number): SliceCoverage {
  const cols = Math.max(1, Math.floor(columns));
  const tracks = SLICE_TRACKS.length;
  const diff = [new Int32Array(tracks * (cols + 1)), new Int32Array(tracks * (cols + 1)), new Int32Array(tracks * (cols + 1))] as const;
  const scale = cols / (view.t1 - view.t0);
  for (let i = 0; i < s.length; i++) {
    const t0 = s.t0[i]!;
    const t1 = Number.isNaN(s.t1[i]!) ? Infinity : s.t1[i]!;
    if (!(t1 >= view.t0) || !(t0 <= view.t1)) continue;
    const track = s.phase[i]!;
    if (track >= tracks) continue;
    const a = Math.max(0, Math.floor((t0 - view.t0) * scale));
    const b = Math.min(cols - 1, Math.max(a, Math.floor((Math.min(t1, view.t1) - view.t0) * scale)));
    const st = s.status[i]!;
    const d = diff[st === SliceStatus.ok ? 0 : st === SliceStatus.leaked ? 1 : 2];
    const base = track * (cols + 1);
    d[base + a]!++;
    d[base + b + 1]!--;
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
