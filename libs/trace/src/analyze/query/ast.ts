import type { CompareOp } from './fields.ts';

/** Where a node or token sits in the query text: [start, end) UTF-16 offsets. */
export interface Span {
  start: number;
  end: number;
}

/** `any` is a bare word or quoted phrase: hash prefix, model, salt, request id or argument text. */
export type MatchField = 'any' | 'method' | 'hash' | 'model' | 'req' | 'salt' | 'server' | 'text';
export type CompareField = 'keys' | 't' | 'dur' | SpanPhaseField;
/** Compare fields that read one phase of the call's request span. */
export type SpanPhaseField = 'wait' | 'body' | 'release' | 'write';

export type QueryNode =
  | ({ type: 'and' | 'or'; items: QueryNode[] } & Span)
  | ({ type: 'not'; item: QueryNode } & Span)
  /** A field match; `value` as written (hash values already normalised to lower-case hex). */
  | ({ type: 'match'; field: MatchField; value: string } & Span)
  /** A numeric predicate; times in seconds. */
  | ({ type: 'compare'; field: CompareField; op: CompareOp; value: number } & Span)
  /** `name=value` as the call table displays an argument (`mode="new"`). */
  | ({ type: 'arg'; name: string; value: string } & Span);

/**
 * A query that cannot be parsed or compiled, pointing at the part that is wrong. `reason` is the
 * message without the position; `message` adds the 1-based column for places that show text only.
 */
export class QueryError extends Error {
  constructor(
    readonly reason: string,
    readonly start: number,
    readonly end: number,
  ) {
    super(`${reason} (column ${start + 1})`);
    this.name = 'QueryError';
  }
}
