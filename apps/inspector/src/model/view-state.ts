/**
 * The view state a link reproduces: which trace, the filters, the time window and the selected
 * call, as URL search params (`?trace=NAME&methods=a,b&t0=&t1=&q=&key=&sel=`). Several traces open
 * as one (rotated segments, several servers) are `trace=` repeated, one per file. Methods travel by
 * short name (stable across traces and readable); keys by key id (ids are assigned in load order,
 * so the same set of traces gives the same ids).
 */
export interface Filters {
  /** Method ids to show; null shows every method. */
  methods: number[] | null;
  t0: number | null;
  t1: number | null;
  text: string;
  keyId: number | null;
}

export const NO_FILTERS: Filters = { methods: null, t0: null, t1: null, text: '', keyId: null };

export function filtersActive(f: Filters): boolean {
  return f.methods !== null || f.t0 !== null || f.t1 !== null || f.text.trim() !== '' || f.keyId !== null;
}

export interface ViewParams {
  /** The server's trace files open together (`trace=` repeated); empty: none from the server. */
  traces: string[];
  follow: boolean;
  /** Method short names (resolved to ids once the trace's methods are known). */
  methods: string[] | null;
  t0: number | null;
  t1: number | null;
  text: string;
  keyId: number | null;
  selected: number | null;
}

const num = (s: string | null): number | null => {
  if (s === null || s.trim() === '') return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
};
const int = (s: string | null): number | null => {
  const v = num(s);
  return v !== null && Number.isInteger(v) && v >= 0 ? v : null;
};

export function parseViewParams(search: string): ViewParams {
  const p = new URLSearchParams(search);
  const methods = p.get('methods');
  return {
    traces: p.getAll('trace').filter((t) => t !== ''),
    follow: p.get('follow') === '1',
    methods: methods === null ? null : methods.split(',').filter((m) => m !== ''),
    t0: num(p.get('t0')),
    t1: num(p.get('t1')),
    text: p.get('q') ?? '',
    keyId: int(p.get('key')),
    selected: int(p.get('sel')),
  };
}

/** Writes the view into `search`, leaving unrelated params alone; empty parts are removed. */
export function writeViewParams(search: string, v: ViewParams): string {
  const p = new URLSearchParams(search);
  const set = (k: string, val: string | null) => (val === null || val === '' ? p.delete(k) : p.set(k, val));
  p.delete('trace');
  for (const t of v.traces) p.append('trace', t);
  set('follow', v.follow ? '1' : null);
  // `methods=` (empty) is "every method hidden", not "no filter": written even though it is empty.
  if (v.methods === null) p.delete('methods');
  else p.set('methods', v.methods.join(','));
  // Times keep microsecond precision: enough to reopen the same window, short enough to share.
  set('t0', v.t0 === null ? null : String(Number(v.t0.toFixed(6))));
  set('t1', v.t1 === null ? null : String(Number(v.t1.toFixed(6))));
  set('q', v.text);
  set('key', v.keyId === null ? null : String(v.keyId));
  set('sel', v.selected === null ? null : String(v.selected));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}
