import { QueryError, type CompareField, type MatchField, type QueryNode } from './ast.ts';
import { FIELD_BY_NAME, QUERY_FIELDS, type CompareOp, type FieldSpec } from './fields.ts';
import { tokenize, type Token } from './lexer.ts';

/**
 * The query language, by precedence: `OR` < `AND` (also implied by terms side by side) < `NOT` <
 * parentheses. A term is `field:value`, `field>number` for keys/t/dur, `name=value` for an argument
 * as displayed, or a bare word / quoted phrase. Every error carries the offsets of what is wrong.
 *
 * ```
 * query   := or EOF
 * or      := and ( OR and )*
 * and     := unary ( AND? unary )*
 * unary   := NOT unary | primary
 * primary := "(" or ")" | term
 * ```
 */
export function parseQuery(src: string): QueryNode | null {
  const p = new Parser(tokenize(src));
  if (p.peek.kind === 'eof') return null;
  const node = p.or();
  const t = p.peek;
  if (t.kind === 'rparen') throw new QueryError('this ")" closes nothing', t.start, t.end);
  if (t.kind !== 'eof') throw new QueryError(`unexpected "${t.text}"`, t.start, t.end);
  return node;
}

// Longest operators first, so `>=` is not read as `>` followed by `=1`.
const TERM = /^([A-Za-z_][\w.]*)(>=|<=|!=|>|<|=|:)(.*)$/s;
const HEX = /^[0-9a-f]+$/;
const COUNT = /^\d+$/;
const SECONDS = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?(s|ms|us|µs|ns|min)?$/i;
/** Units as powers of ten, so `40us` is the double nearest 40e-6, not 40 * 1e-6. */
const UNIT_EXP: Record<string, number> = { s: 0, ms: -3, us: -6, 'µs': -6, ns: -9 };
const FIELD_LIST = QUERY_FIELDS.map((f) => f.name + (f.kind === 'match' ? ':' : '>')).join(' ');

const startsTerm = (t: Token) => t.kind === 'word' || t.kind === 'string' || t.kind === 'lparen' || t.kind === 'not';

class Parser {
  private i = 0;
  constructor(private readonly toks: Token[]) {}

  get peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }

  or(): QueryNode {
    const items = [this.and()];
    while (this.peek.kind === 'or') {
      const op = this.next();
      this.needTerm(op);
      items.push(this.and());
    }
    return items.length === 1 ? items[0]! : { type: 'or', items, start: items[0]!.start, end: items[items.length - 1]!.end };
  }

  private and(): QueryNode {
    const items = [this.unary()];
    for (;;) {
      const t = this.peek;
      if (t.kind === 'and') {
        this.next();
        this.needTerm(t);
      } else if (!startsTerm(t)) break;
      items.push(this.unary());
    }
    return items.length === 1 ? items[0]! : { type: 'and', items, start: items[0]!.start, end: items[items.length - 1]!.end };
  }

  private unary(): QueryNode {
    const t = this.peek;
    if (t.kind !== 'not') return this.primary();
    this.next();
    this.needTerm(t);
    const item = this.unary();
    return { type: 'not', item, start: t.start, end: item.end };
  }

  /** After an operator something must follow: say which operator is left hanging. */
  private needTerm(op: Token): void {
    if (!startsTerm(this.peek)) throw new QueryError(`${op.text.toUpperCase()} needs a term after it`, op.start, op.end);
  }

  private primary(): QueryNode {
    const t = this.next();
    switch (t.kind) {
      case 'lparen': {
        if (this.peek.kind === 'rparen') throw new QueryError('empty parentheses', t.start, this.peek.end);
        const inner = this.or();
        const close = this.peek;
        if (close.kind !== 'rparen') throw new QueryError('this "(" is never closed', t.start, t.end);
        this.next();
        // The group's span takes its parentheses in, so an error about it underlines all of it.
        return { ...inner, start: t.start, end: close.end };
      }
      case 'string':
        return { type: 'match', field: 'any', value: t.value, start: t.start, end: t.end };
      case 'word':
        return this.term(t);
      case 'rparen':
        throw new QueryError('this ")" closes nothing', t.start, t.end);
      case 'and':
      case 'or':
        throw new QueryError(`${t.text.toUpperCase()} needs a term before it`, t.start, t.end);
      default:
        throw new QueryError('a term is missing here', t.start, t.end);
    }
  }

  private term(w: Token): QueryNode {
    const m = TERM.exec(w.text);
    if (!m) return { type: 'match', field: 'any', value: w.text, start: w.start, end: w.end };
    const name = m[1]!;
    const op = m[2]! as CompareOp | ':';
    let value = m[3]!;
    let valueStart = w.start + name.length + op.length;
    let end = w.end;
    // `model:"a b"`: the value is the string right after the operator.
    const adj = this.peek;
    if (value === '' && adj.kind === 'string' && adj.start === w.end) {
      this.next();
      value = adj.value;
      valueStart = adj.start;
      end = adj.end;
    }
    const spec = FIELD_BY_NAME.get(name.toLowerCase());
    const span = { start: w.start, end };
    const bad = (reason: string): never => {
      throw new QueryError(reason, valueStart, Math.max(end, valueStart + 1));
    };
    if (value === '') {
      const example = spec?.example ?? `${name}${op}value`;
      throw new QueryError(`"${name}${op}" needs a value (e.g. ${example})`, w.start, end);
    }
    if (spec?.kind === 'compare') {
      const cmp: CompareOp = op === ':' ? '=' : op;
      return { type: 'compare', field: spec.canonical as CompareField, op: cmp, value: number(spec, value, bad), ...span };
    }
    if (op === ':') {
      if (!spec) throw new QueryError(`unknown field "${name}:" (fields: ${FIELD_LIST}); to search for the text itself, quote it: "${w.text}"`, w.start, w.start + name.length + 1);
      return { type: 'match', field: spec.canonical as MatchField, value: spec.canonical === 'hash' ? hashPrefix(value, name, bad) : value, ...span };
    }
    if (spec) throw new QueryError(`"${name}" takes ":" (${spec.example}); "${op}" compares keys, t and dur`, w.start + name.length, w.start + name.length + op.length);
    if (op !== '=' && op !== '!=') throw new QueryError(`"${name}" cannot be compared with "${op}": only keys, t and dur can (an argument matches with =, as in mode=new)`, w.start, end);
    // The table shows the request id as an argument; the index keeps it apart from the text.
    const arg: QueryNode = name === 'external_request_id' ? { type: 'match', field: 'req', value, ...span } : { type: 'arg', name, value, ...span };
    return op === '=' ? arg : { type: 'not', item: arg, ...span };
  }
}

/** `#c217f27c`, `0xC217`, `c217`: lower-case hex digits, or an error naming the field. */
function hashPrefix(value: string, field: string, bad: (reason: string) => never): string {
  let v = value.toLowerCase();
  if (v.startsWith('#')) v = v.slice(1);
  else if (v.startsWith('0x')) v = v.slice(2);
  if (!HEX.test(v)) bad(`"${field}:" wants the hex digits a chunk hash starts with (like #c217f27c or 0xc217), not "${value}"`);
  return v;
}

function number(spec: FieldSpec, value: string, bad: (reason: string) => never): number {
  if (spec.unit === 'count') {
    if (!COUNT.test(value)) bad(`"${spec.name}" compares with a whole number (${spec.example}), not "${value}"`);
    return Number(value);
  }
  const m = SECONDS.exec(value);
  if (!m) bad(`"${spec.name}" compares with a time such as 2.5s, 500ms or 40us (a bare number is seconds), not "${value}"`);
  const [, digits, exp, unit] = m!;
  const u = (unit ?? 's').toLowerCase();
  if (u === 'min') return Number(`${digits}e${exp ?? 0}`) * 60;
  return Number(`${digits}e${Number(exp ?? 0) + UNIT_EXP[u]!}`);
}
