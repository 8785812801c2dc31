import { QueryError, type Span } from './ast.ts';

export type TokenKind = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'word' | 'string' | 'eof';

export interface Token extends Span {
  kind: TokenKind;
  /** The text as written (a string token's unescaped content is `value`). */
  text: string;
  value: string;
}

const KEYWORD: Record<string, TokenKind> = { and: 'and', or: 'or', not: 'not' };
const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/**
 * Splits a query into tokens with their offsets. A word runs until whitespace, a parenthesis or a
 * quote, so `model:"a b"` is the word `model:` followed by an adjacent string (the parser joins
 * them). AND, OR and NOT are keywords in any case; quote them to search for the words.
 */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, value: c, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      for (;;) {
        if (j >= src.length) throw new QueryError('this quote is never closed', i, src.length);
        const d = src[j]!;
        if (d === '\\' && j + 1 < src.length) {
          value += src[j + 1];
          j += 2;
          continue;
        }
        if (d === '"') break;
        value += d;
        j++;
      }
      out.push({ kind: 'string', text: src.slice(i, j + 1), value, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < src.length && !isSpace(src[j]!) && src[j] !== '(' && src[j] !== ')' && src[j] !== '"') j++;
    const text = src.slice(i, j);
    out.push({ kind: KEYWORD[text.toLowerCase()] ?? 'word', text, value: text, start: i, end: j });
    i = j;
  }
  out.push({ kind: 'eof', text: '', value: '', start: src.length, end: src.length });
  return out;
}
