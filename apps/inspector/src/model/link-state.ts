import type { Mark } from './bookmarks.ts';

/**
 * The parts of a permalink beyond the filtered view (view-state.ts): where the trace comes from
 * when it is not the server's (`url=`), the trace compared with (`cmp=NAME` on the server, or
 * `cmpurl=`), the side tab (`tab=`) and bookmarks (`mark=CALL` or `mark=CALL:note`, repeated).
 * `problems` says which parts of a link were not understood, instead of silently ignoring them.
 */
export type CompareSource = { kind: 'server'; name: string } | { kind: 'url'; url: string };

export interface LinkExtras {
  url: string | null;
  compare: CompareSource | null;
  tab: string | null;
  marks: Mark[];
}

export const NO_EXTRAS: LinkExtras = { url: null, compare: null, tab: null, marks: [] };

/** A part of a link that was not understood: the param as written and why. */
export interface LinkProblem {
  param: string;
  reason: string;
}

const MARK = /^(\d+)(?::([\s\S]*))?$/;

/** Panels that were renamed: old links still open them (the Lifecycles tab became Requests). */
const TAB_ALIASES: Readonly<Record<string, string>> = { lifecycles: 'requests' };

export function parseLinkExtras(search: string, tabs: readonly string[]): { extras: LinkExtras; problems: LinkProblem[] } {
  const p = new URLSearchParams(search);
  const problems: LinkProblem[] = [];
  const url = p.get('url') || null;
  if (url !== null && !/^https?:\/\//i.test(url) && !url.startsWith('/')) problems.push({ param: `url=${url}`, reason: 'not an http(s) address' });
  const cmp = p.get('cmp') || null;
  const cmpUrl = p.get('cmpurl') || null;
  const compare: CompareSource | null = cmp !== null ? { kind: 'server', name: cmp } : cmpUrl !== null ? { kind: 'url', url: cmpUrl } : null;
  let tab = p.get('tab') || null;
  const alias = tab === null ? undefined : TAB_ALIASES[tab];
  if (tab !== null && !tabs.includes(tab) && alias !== undefined && tabs.includes(alias)) tab = alias;
  if (tab !== null && !tabs.includes(tab)) {
    problems.push({ param: `tab=${tab}`, reason: `no such panel (panels: ${tabs.join(', ')})` });
    tab = null;
  }
  const marks: Mark[] = [];
  for (const m of p.getAll('mark')) {
    const x = MARK.exec(m);
    if (x) marks.push({ call: Number(x[1]), note: x[2] ?? '' });
    else problems.push({ param: `mark=${m}`, reason: 'a bookmark is a call number, optionally followed by ":note"' });
  }
  return { extras: { url: url !== null && problems.some((q) => q.param.startsWith('url=')) ? null : url, compare, tab, marks }, problems };
}

export function writeLinkExtras(search: string, x: LinkExtras): string {
  const p = new URLSearchParams(search);
  const set = (k: string, v: string | null) => (v === null || v === '' ? p.delete(k) : p.set(k, v));
  set('url', x.url);
  set('cmp', x.compare?.kind === 'server' ? x.compare.name : null);
  set('cmpurl', x.compare?.kind === 'url' ? x.compare.url : null);
  set('tab', x.tab);
  p.delete('mark');
  for (const m of x.marks) p.append('mark', m.note === '' ? String(m.call) : `${m.call}:${m.note}`);
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

/**
 * What view-state.ts's parser drops silently (it keeps a link usable), said out loud: times that
 * are not numbers, ids that are not whole numbers, a follow flag that is neither on nor off.
 */
export function viewParamProblems(search: string): LinkProblem[] {
  const p = new URLSearchParams(search);
  const out: LinkProblem[] = [];
  for (const k of ['t0', 't1']) {
    const v = p.get(k);
    if (v !== null && v.trim() !== '' && !Number.isFinite(Number(v))) out.push({ param: `${k}=${v}`, reason: 'not a number of seconds' });
  }
  for (const k of ['key', 'sel']) {
    const v = p.get(k);
    if (v !== null && v.trim() !== '' && !/^\d+$/.test(v.trim())) out.push({ param: `${k}=${v}`, reason: `not a ${k === 'key' ? 'key id' : 'call number'} (a whole number ≥ 0)` });
  }
  const f = p.get('follow');
  if (f !== null && f !== '1' && f !== '0') out.push({ param: `follow=${f}`, reason: 'follow is 1 (live) or absent' });
  return out;
}

/** The name to show for a trace opened by URL: its last path segment. */
export function nameOfUrl(url: string): string {
  try {
    const u = new URL(url, 'http://x/');
    const last = decodeURIComponent(u.pathname.split('/').filter((s) => s !== '').pop() ?? '');
    return last || u.host || url;
  } catch {
    return url;
  }
}
