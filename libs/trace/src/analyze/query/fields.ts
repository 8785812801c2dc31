/**
 * The fields of the query language, in one table: the parser reads names and kinds from it, the
 * inspector's autocomplete and help popover read names, descriptions and examples. Nothing else
 * lists them.
 */

/** `match` fields take a value after `:`; `compare` fields take `> >= < <= =` and a number. */
export type FieldKind = 'match' | 'compare';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** The field it means (`key:` is `hash:`). */
  canonical: string;
  /** Unit of a compare field's number: a count, or seconds (`2.5s`, `500ms`, `40us`; bare = s). */
  unit?: 'count' | 'seconds';
  help: string;
  example: string;
}

export const QUERY_FIELDS: readonly FieldSpec[] = [
  { name: 'method', kind: 'match', canonical: 'method', help: 'method name: exact, else contained (finish matches both finish_ calls)', example: 'method:reserve_write' },
  { name: 'key', kind: 'match', canonical: 'hash', help: 'a key whose chunk hash starts with these hex digits (#… and 0x… as displayed)', example: 'key:#c217f27c' },
  { name: 'hash', kind: 'match', canonical: 'hash', help: 'same as key:', example: 'hash:0xc217' },
  { name: 'model', kind: 'match', canonical: 'model', help: "a key's model name contains this", example: 'model:llama' },
  { name: 'req', kind: 'match', canonical: 'req', help: 'external_request_id contains this', example: 'req:req-17' },
  { name: 'salt', kind: 'match', canonical: 'salt', help: "a key's cache_salt contains this", example: 'salt:tenant-a' },
  { name: 'server', kind: 'match', canonical: 'server', help: 'the trace (server) of the call, when several are open: exact name, else contained', example: 'server:node-2' },
  { name: 'text', kind: 'match', canonical: 'text', help: 'the argument text (method and non-key values) contains this', example: 'text:PREFIX' },
  { name: 'keys', kind: 'compare', canonical: 'keys', unit: 'count', help: 'number of keys the call carries', example: 'keys>16' },
  { name: 't', kind: 'compare', canonical: 't', unit: 'seconds', help: 'time since the trace started, as the table shows it', example: 't>2.5s' },
  { name: 'dur', kind: 'compare', canonical: 'dur', unit: 'seconds', help: 'duration of the request span the call belongs to', example: 'dur>10ms' },
  { name: 'wait', kind: 'compare', canonical: 'wait', unit: 'seconds', help: "its request's wait: submit_prefetch_task to the read's __enter__", example: 'wait>50ms' },
  { name: 'body', kind: 'compare', canonical: 'body', unit: 'seconds', help: "its request's read: read_prefetched_results __enter__ to __exit__", example: 'body>5ms' },
  { name: 'release', kind: 'compare', canonical: 'release', unit: 'seconds', help: "its request's release: __exit__ to finish_read_prefetched", example: 'release>1ms' },
  { name: 'write', kind: 'compare', canonical: 'write', unit: 'seconds', help: 'its write: reserve_write to finish_write', example: 'write>20ms' },
];

export const FIELD_BY_NAME: ReadonlyMap<string, FieldSpec> = new Map(QUERY_FIELDS.map((f) => [f.name, f]));

/** Operators, as written. `:` on a compare field is `=`. */
export type CompareOp = '>' | '>=' | '<' | '<=' | '=' | '!=';

/** Examples for the help popover: each one is a complete query that parses. */
export const QUERY_EXAMPLES: readonly { query: string; means: string }[] = [
  { query: 'method:reserve_write keys>16', means: 'writes of more than 16 keys (terms side by side: AND)' },
  { query: '#c217f27c', means: 'calls touching a key whose hash starts so (as the argument view shows it)' },
  { query: 'model:llama AND t>2.5s', means: 'keys of a llama model, after 2.5 s' },
  { query: 'method:submit_prefetch_task NOT req:warmup', means: 'prefetches of every request but warm-up ones' },
  { query: '(method:finish_write OR method:finish_read) t<500ms', means: 'finishes in the first half second' },
  { query: 'mode="new"', means: 'an argument as the table displays it' },
  { query: 'text:"torch.float16[2,16,8]"', means: 'quoted values keep spaces and brackets' },
  { query: 'server:node-2 method:submit_prefetch_task', means: 'prefetches of one server, when several traces are open' },
  { query: 'dur>10ms', means: 'calls of requests that took more than 10 ms' },
  { query: 'wait>=50ms wait<=200ms', means: 'calls of requests that waited 50 to 200 ms for their read (a histogram brush writes this)' },
];
