/** The query language of filters: parse to an AST with offsets, compile against the call index, autocomplete. */
export { QueryError, type QueryNode, type Span, type MatchField, type CompareField, type SpanPhaseField } from './ast.ts';
export { QUERY_FIELDS, QUERY_EXAMPLES, type FieldSpec, type CompareOp } from './fields.ts';
export { parseQuery } from './parser.ts';
export { compileQuery, compileQueryText, type CompiledQuery, type QueryContext, type QueryIndex } from './compile.ts';
export { suggest, type Completion, type Suggestion } from './suggest.ts';
