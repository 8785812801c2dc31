import { QUERY_FIELDS } from './fields.ts';

export interface Suggestion {
  /** What the list shows. */
  label: string;
  /** What replaces [from, to) when the suggestion is taken. */
  insert: string;
  detail: string;
}

export interface Completion {
  from: number;
  to: number;
  items: Suggestion[];
}

const BREAK = /[\s()"]/;

/**
 * Autocomplete at `cursor`: field names for a word being typed (`mo` → `model:`), method names after
 * `method:` and for a word that starts one (`res` → `method:reserve_write`), server names after
 * `server:` (when several traces are open). With `explicit` (the user asked, e.g. Ctrl+Space) an
 * empty word lists every field. Null when there is nothing to offer.
 */
export function suggest(src: string, cursor: number, methods: readonly string[], explicit = false, servers: readonly string[] = []): Completion | null {
  let from = cursor;
  while (from > 0 && !BREAK.test(src[from - 1]!)) from--;
  // Inside a quoted string nothing is completed: count the quotes before the word.
  if ((src.slice(0, from).match(/"/g)?.length ?? 0) % 2 === 1) return null;
  let to = cursor;
  while (to < src.length && !BREAK.test(src[to]!)) to++;
  const word = src.slice(from, cursor);
  const lower = word.toLowerCase();
  const items: Suggestion[] = [];
  // After `method:` a name may match anywhere; a bare word offers only names it starts.
  const methodItems = (part: string, anywhere: boolean) => {
    const p = part.toLowerCase();
    const starts = methods.filter((m) => m.toLowerCase().startsWith(p));
    const contains = anywhere ? methods.filter((m) => !m.toLowerCase().startsWith(p) && m.toLowerCase().includes(p)) : [];
    return [...starts, ...contains].map((m) => ({ label: `method:${m}`, insert: `method:${m} `, detail: 'method' }));
  };
  if (lower.startsWith('method:')) {
    items.push(...methodItems(word.slice('method:'.length), true));
  } else if (lower.startsWith('server:')) {
    const p = lower.slice('server:'.length);
    // A name with a space or a quote would need quoting: offered quoted so the result parses.
    for (const s of servers) if (s.toLowerCase().includes(p)) items.push({ label: `server:${s}`, insert: `server:${/[\s()"]/.test(s) ? JSON.stringify(s) : s} `, detail: 'server' });
  } else if (/[:<>=]/.test(word) || (word === '' && !explicit)) {
    return null;
  } else {
    for (const f of QUERY_FIELDS) {
      if (!f.name.startsWith(lower)) continue;
      const op = f.kind === 'match' ? ':' : '>';
      items.push({ label: `${f.name}${op}`, insert: `${f.name}${op}`, detail: f.help });
    }
    if (word !== '') items.push(...methodItems(word, false));
  }
  // An exact, complete suggestion offers nothing new.
  const useful = items.filter((it) => it.insert.trimEnd() !== src.slice(from, to));
  return useful.length === 0 ? null : { from, to, items: useful };
}
