import { describe, expect, it } from 'vitest';
import { QUERY_FIELDS } from './fields.ts';
import { parseQuery } from './parser.ts';
import { suggest } from './suggest.ts';

const METHODS = ['reserve_write', 'finish_write', 'submit_prefetch_task', 'read_prefetched_results.__enter__', 'finish_read_prefetched'];
const labels = (src: string, cursor = src.length, explicit = false) => suggest(src, cursor, METHODS, explicit)?.items.map((i) => i.label) ?? null;

describe('suggest', () => {
  it('completes field names and methods from a word being typed', () => {
    expect(labels('mo')).toEqual(['model:']);
    expect(labels('k')).toEqual(['key:', 'keys>']);
    expect(labels('t')).toEqual(['text:', 't>']);
    expect(labels('res')).toEqual(['method:reserve_write']);
    expect(labels('method:fin')).toEqual(['method:finish_write', 'method:finish_read_prefetched']);
    expect(labels('method:enter')).toEqual(['method:read_prefetched_results.__enter__']);
    expect(labels('keys>1 AND (me')).toEqual(['method:']);
  });

  it('completes server names after server:, quoting a name that needs it', () => {
    const servers = ['node-1', 'node-2', 'my trace'];
    const items = (src: string) => suggest(src, src.length, METHODS, false, servers)?.items.map((i) => i.insert) ?? null;
    expect(items('server:')).toEqual(['server:node-1 ', 'server:node-2 ', 'server:"my trace" ']);
    expect(items('server:-2')).toEqual(['server:node-2 ']);
    expect(items('server:zz')).toBeNull();
    for (const s of items('server:')!) expect(() => parseQuery(s)).not.toThrow();
    expect(labels('se')).toEqual(['server:']);
  });

  it('offers nothing inside a value, a quoted string or an empty word unless asked', () => {
    expect(labels('model:ll')).toBeNull();
    expect(labels('t>2')).toBeNull();
    expect(labels('"mo')).toBeNull();
    expect(labels('a ')).toBeNull();
    expect(labels('a ', 2, true)).toEqual(QUERY_FIELDS.map((f) => f.name + (f.kind === 'match' ? ':' : '>')));
    expect(labels('method:reserve_write')).toBeNull();
  });

  it('replaces the whole word under the cursor, and the result parses', () => {
    const src = 'keys>2 mod OR t>1s';
    const c = suggest(src, 9, METHODS)!;
    expect([c.from, c.to]).toEqual([7, 10]);
    const next = src.slice(0, c.from) + c.items[0]!.insert + 'llama' + src.slice(c.to);
    expect(next).toBe('keys>2 model:llama OR t>1s');
    expect(() => parseQuery(next)).not.toThrow();
  });
});
