import type { KeyTable } from './key-table.ts';
import type { StringTable } from './string-table.ts';

/** One compiled term: 0/1 marks over distinct argument texts, request ids and keys (null: no hit there). */
export interface TextTerm {
  text: Uint8Array | null;
  erid: Uint8Array | null;
  keys: Uint8Array | null;
}

const FIELDS = ['hash', 'model', 'req', 'text'] as const;
type Field = (typeof FIELDS)[number];
const HEX = /^[0-9a-f]+$/;

/**
 * Compiles a text query (see FilterQuery.text) against the distinct values of an index. Returns
 * null when some term matches nothing, so the caller can answer without a scan.
 */
export function compileText(query: string, ix: { texts: StringTable; erids: StringTable; keys: KeyTable }): TextTerm[] | null {
  const out: TextTerm[] = [];
  for (const raw of query.toLowerCase().split(/\s+/)) {
    if (raw === '') continue;
    let field: Field | null = null;
    let s = raw;
    const colon = raw.indexOf(':');
    if (colon > 0 && (FIELDS as readonly string[]).includes(raw.slice(0, colon))) {
      field = raw.slice(0, colon) as Field;
      s = raw.slice(colon + 1);
      if (s === '') continue;
    }
    const term: TextTerm = { text: null, erid: null, keys: null };
    if (field === null || field === 'text') {
      const m = ix.texts.matchSubstring(s);
      if (m.hits > 0) term.text = m.marks;
    }
    if (field === null || field === 'req') {
      const m = ix.erids.matchSubstring(s);
      if (m.hits > 0) term.erid = m.marks;
    }
    if (field === null || field === 'hash' || field === 'model') {
      const marks = new Uint8Array(ix.keys.size);
      let hits = 0;
      const hex = s.startsWith('0x') ? s.slice(2) : s;
      if (field !== 'model' && HEX.test(hex)) hits += ix.keys.matchHashPrefix(hex, marks);
      if (field !== 'hash') hits += ix.keys.matchModelOrSalt(s, marks, true, field === null);
      if (hits > 0) term.keys = marks;
    }
    if (term.text === null && term.erid === null && term.keys === null) return null;
    out.push(term);
  }
  return out;
}
