import type { KeyTable } from '../key-table.ts';
import type { MethodTable } from '../methods.ts';
import type { StringTable } from '../string-table.ts';
import { QueryError, type CompareField, type MatchField, type QueryNode, type SpanPhaseField } from './ast.ts';
import type { CompareOp } from './fields.ts';
import { parseQuery } from './parser.ts';

/**
 * What a query reads: the call index's interned tables and its per-call columns (CallIndex builds
 * this view of itself in `filter`). Columns may be longer than `length` (growable capacity).
 */
export interface QueryIndex {
  readonly length: number;
  readonly methods: MethodTable;
  readonly texts: StringTable;
  readonly erids: StringTable;
  readonly keys: KeyTable;
  /** Names of the traces (servers) by source id (CallIndex.setSource); `['']` for a single trace. */
  readonly sources: readonly string[];
  readonly columns: {
    readonly method: Uint8Array | Uint16Array | Uint32Array;
    readonly time: Float64Array;
    readonly textId: Uint8Array | Uint16Array | Uint32Array;
    /** Sparse: most calls have none (a search per call, from where the last one ended). */
    readonly eridId: { get(call: number): number };
    /** Per call, its key list: list L is keyRefs[listOff[L], listOff[L + 1]). */
    readonly keyList: Uint32Array;
    readonly listOff: Uint32Array;
    readonly keyRefs: Uint32Array;
    /** Source id of each call. */
    readonly source: Uint16Array;
  };
}

export interface QueryContext {
  index: QueryIndex;
  /**
   * Seconds of the request span a call belongs to (NaN when it is in none), from the request
   * analysis. Without it `dur` is an error rather than a query that silently matches nothing.
   */
  spanDurationOfCall?(call: number): number;
  /** Seconds of one phase of the call's request span (NaN when absent); required by wait/body/release/write. */
  spanPhaseOfCall?(call: number, phase: SpanPhaseField): number;
}

/** A compiled query: a test per call, or a constant when the index already decides it. */
export type CompiledQuery = ((call: number) => boolean) | boolean;

const HEX = /^[0-9a-f]+$/;

/** Parses and compiles; throws QueryError (with offsets) for a query that is wrong, never returns "no match" for it. */
export function compileQueryText(src: string, ctx: QueryContext): CompiledQuery {
  const ast = parseQuery(src);
  return ast === null ? true : compileQuery(ast, ctx);
}

/**
 * Compiles an AST against the distinct values of the index once (a term's matches become 0/1
 * marks over texts, request ids and keys), so testing a call is table lookups, never string work.
 * Constants fold: a term nothing matches makes its AND false without a scan.
 */
export function compileQuery(node: QueryNode, ctx: QueryContext): CompiledQuery {
  switch (node.type) {
    case 'and':
    case 'or': {
      const isAnd = node.type === 'and';
      const tests: ((c: number) => boolean)[] = [];
      for (const item of node.items) {
        const p = compileQuery(item, ctx);
        if (p === !isAnd) return p; // false in an AND, true in an OR decides it
        if (p !== isAnd) tests.push(p as (c: number) => boolean);
      }
      if (tests.length === 0) return isAnd;
      if (tests.length === 1) return tests[0]!;
      if (tests.length === 2) {
        const [a, b] = tests as [(c: number) => boolean, (c: number) => boolean];
        return isAnd ? (c) => a(c) && b(c) : (c) => a(c) || b(c);
      }
      return isAnd ? (c) => tests.every((t) => t(c)) : (c) => tests.some((t) => t(c));
    }
    case 'not': {
      const p = compileQuery(node.item, ctx);
      return typeof p === 'boolean' ? !p : (c) => !p(c);
    }
    case 'compare':
      return compare(node.field, node.op, node.value, node, ctx);
    case 'arg':
      return argToken(`${node.name}=${node.value}`.toLowerCase(), ctx.index);
    case 'match':
      return node.field === 'server' ? servers(node.value, node, ctx.index) : match(node.field, node.value, node, ctx.index);
  }
}

function compare(field: CompareField, op: CompareOp, v: number, at: { start: number; end: number }, ctx: QueryContext): CompiledQuery {
  const cols = ctx.index.columns;
  const cmp = comparator(op, v);
  switch (field) {
    case 'keys': {
      const list = cols.keyList, off = cols.listOff;
      return (c) => cmp(off[list[c]! + 1]! - off[list[c]!]!);
    }
    case 't': {
      const time = cols.time;
      return (c) => cmp(time[c]!);
    }
    case 'dur': {
      const dur = ctx.spanDurationOfCall?.bind(ctx);
      if (!dur) throw new QueryError('request spans are not available, so "dur" cannot be answered here', at.start, at.end);
      // NaN (a call in no request) compares false, so `dur>x` leaves such calls out (and NOT keeps them).
      return (c) => cmp(dur(c));
    }
    case 'wait':
    case 'body':
    case 'release':
    case 'write': {
      const phase = ctx.spanPhaseOfCall?.bind(ctx);
      if (!phase) throw new QueryError(`request spans are not available, so "${field}" cannot be answered here`, at.start, at.end);
      return (c) => cmp(phase(c, field));
    }
  }
}

function comparator(op: CompareOp, v: number): (x: number) => boolean {
  switch (op) {
    case '>':
      return (x) => x > v;
    case '>=':
      return (x) => x >= v;
    case '<':
      return (x) => x < v;
    case '<=':
      return (x) => x <= v;
    case '=':
      return (x) => x === v;
    case '!=':
      return (x) => x !== v;
  }
}

function match(field: Exclude<MatchField, 'server'>, raw: string, at: { start: number; end: number }, ix: QueryIndex): CompiledQuery {
  const s = raw.toLowerCase();
  switch (field) {
    case 'method':
      return methods(s, raw, at, ix);
    case 'hash':
      return keyTest(ix, (marks) => ix.keys.matchHashPrefix(s, marks));
    case 'model':
      return keyTest(ix, (marks) => ix.keys.matchModelOrSalt(s, marks, true, false));
    case 'salt':
      return keyTest(ix, (marks) => ix.keys.matchModelOrSalt(s, marks, false, true));
    case 'req':
      return idTestBy(ix.erids.matchSubstring(s), ix.columns.eridId);
    case 'text':
      return idTest(ix.texts.matchSubstring(s), ix.columns.textId);
    case 'any': {
      // As displayed in the argument view (`#c217f27c`): a hash prefix and nothing else.
      if (s.startsWith('#') && HEX.test(s.slice(1))) return keyTest(ix, (marks) => ix.keys.matchHashPrefix(s.slice(1), marks));
      const hex = s.startsWith('0x') ? s.slice(2) : s;
      const tests = [
        idTest(ix.texts.matchSubstring(s), ix.columns.textId),
        idTestBy(ix.erids.matchSubstring(s), ix.columns.eridId),
        keyTest(ix, (marks) => (HEX.test(hex) ? ix.keys.matchHashPrefix(hex, marks) : 0) + ix.keys.matchModelOrSalt(s, marks, true, true)),
      ].filter((t): t is (c: number) => boolean => t !== false);
      if (tests.length === 0) return false;
      if (tests.length === 1) return tests[0]!;
      return (c) => {
        for (let i = 0; i < tests.length; i++) if (tests[i]!(c)) return true;
        return false;
      };
    }
  }
}

/** Calls whose method's short name is the value (or, when none is, contains it); no method at all is an error. */
function methods(s: string, raw: string, at: { start: number; end: number }, ix: QueryIndex): CompiledQuery {
  const t = ix.methods;
  const names = Array.from({ length: t.size }, (_, i) => t.shortName(i).toLowerCase());
  const quals = Array.from({ length: t.size }, (_, i) => t.qualname(i).toLowerCase());
  let ids = names.map((n, i) => (n === s || quals[i] === s ? i : -1)).filter((i) => i >= 0);
  if (ids.length === 0) ids = names.map((n, i) => (n.includes(s) ? i : -1)).filter((i) => i >= 0);
  if (ids.length === 0) {
    const known = Array.from({ length: t.size }, (_, i) => t.shortName(i)).join(', ');
    throw new QueryError(`no method of this trace is "${raw}" (methods: ${known || 'none yet'})`, at.start, at.end);
  }
  const mask = new Uint8Array(Math.max(1, t.size));
  for (const i of ids) mask[i] = 1;
  const col = ix.columns.method;
  return (c) => mask[col[c]!] === 1;
}

/**
 * Calls of the traces (servers) named so: exact (any case), else every server whose name contains
 * it, as `method:` does. With one trace open there are no server names to pick from: an error that
 * says so, rather than a filter that hides every call.
 */
function servers(raw: string, at: { start: number; end: number }, ix: QueryIndex): CompiledQuery {
  const names = ix.sources;
  if (names.length <= 1) throw new QueryError('"server:" picks among several traces opened together; one trace is open', at.start, at.end);
  const s = raw.toLowerCase();
  let ids = names.map((n, i) => (n.toLowerCase() === s ? i : -1)).filter((i) => i >= 0);
  if (ids.length === 0) ids = names.map((n, i) => (n.toLowerCase().includes(s) ? i : -1)).filter((i) => i >= 0);
  if (ids.length === 0) throw new QueryError(`no server is "${raw}" (servers: ${names.join(', ')})`, at.start, at.end);
  if (ids.length === names.length) return true;
  const mask = new Uint8Array(names.length);
  for (const i of ids) mask[i] = 1;
  const col = ix.columns.source;
  return (c) => mask[col[c]!] === 1;
}

function idTest(m: { marks: Uint8Array; hits: number }, col: Uint8Array | Uint16Array | Uint32Array): CompiledQuery {
  if (m.hits === 0) return false;
  const marks = m.marks;
  return (c) => marks[col[c]!] === 1;
}

function idTestBy(m: { marks: Uint8Array; hits: number }, col: { get(call: number): number }): CompiledQuery {
  if (m.hits === 0) return false;
  const marks = m.marks;
  return (c) => marks[col.get(c)] === 1;
}

function keyTest(ix: QueryIndex, mark: (marks: Uint8Array) => number): CompiledQuery {
  const marks = new Uint8Array(Math.max(1, ix.keys.size));
  if (mark(marks) === 0) return false;
  // Each distinct key list is tested once; a call then reads its list's answer.
  const { keyList: list, listOff: off, keyRefs: refs } = ix.columns;
  const lists = new Uint8Array(Math.max(1, off.length - 1));
  let any = false;
  for (let l = 0; l < lists.length; l++) {
    for (let j = off[l]!, e = off[l + 1]!; j < e; j++) {
      if (marks[refs[j]!] === 1) {
        lists[l] = 1;
        any = true;
        break;
      }
    }
  }
  if (!any) return false;
  return (c) => lists[list[c]!] === 1;
}

/**
 * `name=value` as a whole argument token of the call's text (the index writes arguments as
 * space-separated `name=value`), so `mode=new` does not also match `mode=newer`.
 */
function argToken(needle: string, ix: QueryIndex): CompiledQuery {
  const lower = ix.texts.lower;
  const marks = new Uint8Array(lower.length);
  let hits = 0;
  for (let i = 1; i < lower.length; i++) {
    const text = lower[i]!;
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const end = at + needle.length;
      if ((at === 0 || text[at - 1] === ' ') && (end === text.length || text[end] === ' ')) {
        marks[i] = 1;
        hits++;
        break;
      }
    }
  }
  return idTest({ marks, hits }, ix.columns.textId);
}
