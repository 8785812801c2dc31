import { describe, expect, it } from 'vitest';
import { QueryError, type QueryNode } from './ast.ts';
import { QUERY_EXAMPLES, QUERY_FIELDS } from './fields.ts';
import { parseQuery } from './parser.ts';

/** The AST without offsets, as a compact string: what a query means. */
function shape(n: QueryNode | null): string {
  if (n === null) return '∅';
  switch (n.type) {
    case 'and':
    case 'or':
      return `(${n.type} ${n.items.map(shape).join(' ')})`;
    case 'not':
      return `(not ${shape(n.item)})`;
    case 'match':
      return `${n.field}:${n.value}`;
    case 'compare':
      return `${n.field}${n.op}${n.value}`;
    case 'arg':
      return `${n.name}=${n.value}`;
  }
}

function errorOf(src: string): QueryError {
  try {
    parseQuery(src);
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error(`"${src}" parsed`);
}

describe('parseQuery', () => {
  it('reads fields, values as displayed, numbers with units', () => {
    expect(shape(parseQuery(''))).toBe('∅');
    expect(shape(parseQuery('   '))).toBe('∅');
    expect(shape(parseQuery('method:reserve_write'))).toBe('method:reserve_write');
    expect(shape(parseQuery('key:#C217F27C'))).toBe('hash:c217f27c');
    expect(shape(parseQuery('hash:0xc217'))).toBe('hash:c217');
    expect(shape(parseQuery('#c217f27c'))).toBe('any:#c217f27c');
    expect(shape(parseQuery('Model:"meta/Llama 3"'))).toBe('model:meta/Llama 3');
    expect(shape(parseQuery('keys>16'))).toBe('keys>16');
    expect(shape(parseQuery('keys>=16'))).toBe('keys>=16');
    expect(shape(parseQuery('keys:4'))).toBe('keys=4');
    expect(shape(parseQuery('t>2.5s'))).toBe('t>2.5');
    expect(shape(parseQuery('t<500ms'))).toBe('t<0.5');
    expect(shape(parseQuery('t<=40us'))).toBe(`t<=${40e-6}`);
    expect(shape(parseQuery('t>1.5'))).toBe('t>1.5');
    expect(shape(parseQuery('t>2min'))).toBe('t>120');
    expect(shape(parseQuery('dur>10ms'))).toBe('dur>0.01');
    expect(shape(parseQuery('mode=new'))).toBe('mode=new');
    expect(shape(parseQuery('mode="new"'))).toBe('mode=new');
    expect(shape(parseQuery('mode!=new'))).toBe('(not mode=new)');
    expect(shape(parseQuery('external_request_id="req-17"'))).toBe('req:req-17');
    expect(shape(parseQuery('"a \\"quoted\\" phrase"'))).toBe('any:a "quoted" phrase');
    expect(shape(parseQuery('org/Model-A req-17 0xABCD'))).toBe('(and any:org/Model-A any:req-17 any:0xABCD)');
  });

  it('binds NOT tighter than AND, AND tighter than OR; parentheses group', () => {
    expect(shape(parseQuery('a b OR c'))).toBe('(or (and any:a any:b) any:c)');
    expect(shape(parseQuery('a AND b or c and d'))).toBe('(or (and any:a any:b) (and any:c any:d))');
    expect(shape(parseQuery('NOT a b'))).toBe('(and (not any:a) any:b)');
    expect(shape(parseQuery('not not a'))).toBe('(not (not any:a))');
    expect(shape(parseQuery('a (b OR c)'))).toBe('(and any:a (or any:b any:c))');
    expect(shape(parseQuery('NOT (method:finish_write OR keys>2) t<1s'))).toBe('(and (not (or method:finish_write keys>2)) t<1)');
    expect(shape(parseQuery('"OR"'))).toBe('any:OR');
  });

  it('keeps the offsets of every node', () => {
    const src = 'method:x  (keys>2 OR "a b")';
    const n = parseQuery(src)!;
    expect(n).toMatchObject({ type: 'and', start: 0, end: src.length });
    if (n.type !== 'and') throw new Error('and');
    expect(src.slice(n.items[0]!.start, n.items[0]!.end)).toBe('method:x');
    const or = n.items[1]!;
    if (or.type !== 'or') throw new Error('or');
    expect(or.items.map((i) => src.slice(i.start, i.end))).toEqual(['keys>2', '"a b"']);
    const q = parseQuery('model:"x y"')!;
    expect([q.start, q.end]).toEqual([0, 11]);
  });

  it('says what is wrong and where', () => {
    const cases: [string, string, number, number][] = [
      // query, words of the reason, start, end
      ['hsh:abc', 'unknown field "hsh:"', 0, 4],
      ['a foo:bar', 'quote it: "foo:bar"', 2, 6],
      ['key:xyz', 'wants the hex digits', 4, 7],
      ['key:#zz', 'not "#zz"', 4, 7],
      ['keys>many', 'whole number', 5, 9],
      ['keys>1.5', 'whole number', 5, 8],
      ['t>soon', 'a time such as 2.5s', 2, 6],
      ['t>5 parsecs', '', -1, -1],
      ['dur>10 ms', '', -1, -1],
      ['model:', 'needs a value (e.g. model:llama)', 0, 6],
      ['model>3', '"model" takes ":"', 5, 6],
      ['mode>3', 'cannot be compared', 0, 6],
      ['(a OR b', 'this "(" is never closed', 0, 1],
      ['a) b', 'this ")" closes nothing', 1, 2],
      ['()', 'empty parentheses', 0, 2],
      ['a OR', 'OR needs a term after it', 2, 4],
      ['a and', 'AND needs a term after it', 2, 5],
      ['OR a', 'OR needs a term before it', 0, 2],
      ['a NOT', 'NOT needs a term after it', 2, 5],
      ['text:"open', 'never closed', 5, 10],
    ];
    for (const [src, words, start, end] of cases) {
      if (start < 0) {
        // Valid: a separate word is a text term, not part of the number.
        expect(() => parseQuery(src), src).not.toThrow();
        continue;
      }
      const e = errorOf(src);
      expect(e.reason, src).toContain(words);
      expect([e.start, e.end], src).toEqual([start, end]);
      expect(e.message).toContain(`column ${start + 1}`);
    }
  });

  it('every documented example parses', () => {
    for (const f of QUERY_FIELDS) expect(() => parseQuery(f.example), f.example).not.toThrow();
    for (const x of QUERY_EXAMPLES) expect(() => parseQuery(x.query), x.query).not.toThrow();
  });
});
