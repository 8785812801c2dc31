import { shortMethodName } from '../../format/spec.ts';
import { ObjectKey, PrefetchRequestSpec, Tuple } from '../../model.ts';
import { argsToJson } from '../to-json.ts';
import type { JsonValue } from '../types.ts';

/** What an export needs of a record (TraceRecord fits, and the inspector's records read back by offset). */
export interface ExportRecord {
  offset: number;
  t_mono: number;
  t_wall: number;
  qualname: string;
  args(): Record<string, unknown>;
}

/**
 * One call as every export writes it, from the CLI or the inspector: the same fields computed the
 * same way, so the same trace gives the same bytes whichever wrote them.
 */
export interface ExportRow {
  /** The trace (server) of the call when several are exported as one; '' for a single trace. */
  server: string;
  /** Position among the calls (the good records, in file order). */
  call: number;
  /** Position among the good records of its trace. */
  record: number;
  /** Byte offset of the record's frame. */
  offset: number;
  t_mono: number;
  t_wall: number;
  method: string;
  qualname: string;
  /** Distinct ObjectKeys of the call's key list (`keys`, or `spec.keys`). */
  keys: number;
  external_request_id: string;
  /** The arguments as JSON (bytes as hex, LMCache field names), or null when they do not decode. */
  args: { [k: string]: JsonValue } | null;
  args_error: string | null;
}

export function exportRow(call: number, record: number, rec: ExportRecord, server = ''): ExportRow {
  let args: Record<string, unknown> | null = null;
  let json: ExportRow['args'] = null;
  let error: string | null = null;
  try {
    args = rec.args();
    json = argsToJson(args);
  } catch (e) {
    error = (e as Error).message;
  }
  return {
    server,
    call,
    record,
    offset: rec.offset,
    t_mono: rec.t_mono,
    t_wall: rec.t_wall,
    method: shortMethodName(rec.qualname),
    qualname: rec.qualname,
    keys: args ? keyCount(args) : 0,
    external_request_id: args && typeof args['external_request_id'] === 'string' ? args['external_request_id'] : '',
    args: json,
    args_error: error,
  };
}

/** Distinct ObjectKeys a call lists (its `keys` argument, or a PrefetchRequestSpec's), as the call index counts them. */
export function keyCount(args: Record<string, unknown>): number {
  const spec = args['spec'];
  let list: unknown = args['keys'];
  if (list instanceof Tuple) list = list.items;
  if (list instanceof Set) list = [...list];
  if (!Array.isArray(list) && spec instanceof PrefetchRequestSpec) list = spec.keys;
  if (!Array.isArray(list)) return 0;
  const ids = new Set<string>();
  for (const k of list) if (k instanceof ObjectKey) ids.add(k.id);
  return ids.size;
}
