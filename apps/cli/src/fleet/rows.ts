import { argsToJson, ObjectKey, PrefetchRequestSpec, STORAGE_MANAGER_PREFIX, Tuple, type TraceRecord } from '@kvtrace/trace';
import { CALL_KEYS, CALLS, type TableSpec } from './tables.ts';

/** CSV lines of one table, collected per batch and written in one piece. */
export class CsvLines {
  lines: string[] = [];
  chars = 0;
  rows = 0;

  push(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    this.rows++;
  }

  take(): string {
    const s = this.lines.join('');
    this.lines = [];
    return s;
  }
}

/**
 * Turns records into the rows of one table. `record` sees every record in trace order; `end` lets
 * a table that holds rows back (a request analysis finishing open requests) write them. The
 * `requests` table plugs in here (see tables.ts).
 */
export interface RowProducer {
  readonly table: TableSpec;
  record(rec: TraceRecord, out: CsvLines): void;
  end(out: CsvLines): void;
}

/**
 * A CSV field DuckDB reads back exactly: quoted (inner quotes doubled) when it holds a quote, a
 * comma or a line break, or is empty, since an unquoted empty field is NULL.
 */
export function csvText(s: string): string {
  return s === '' || /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** The call's key list: the `keys` argument (list, tuple or set), else a `spec: PrefetchRequestSpec`'s keys. */
export function keyListOf(args: Record<string, unknown>): readonly unknown[] {
  const k = args.keys;
  if (Array.isArray(k)) return k;
  if (k instanceof Tuple) return k.items;
  if (k instanceof Set) return [...k];
  const spec = args.spec;
  if (spec instanceof PrefetchRequestSpec) return spec.keys;
  return [];
}

export function methodOf(qualname: string): string {
  return qualname.startsWith(STORAGE_MANAGER_PREFIX) ? qualname.slice(STORAGE_MANAGER_PREFIX.length) : qualname;
}

function countKeys(list: readonly unknown[]): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) if (list[i] instanceof ObjectKey) n++;
  return n;
}

/** `calls`: one row per record. */
export const callRows: RowProducer = {
  table: CALLS,
  record(rec, out) {
    const args = rec.args();
    const erid = args.external_request_id;
    out.push(
      `${rec.index},${rec.t_wall},${rec.t_mono},${csvText(methodOf(rec.qualname))},${countKeys(keyListOf(args))},` +
        `${typeof erid === 'string' && erid !== '' ? csvText(erid) : ''},${csvText(JSON.stringify(argsToJson(args)))},${rec.offset}\n`,
    );
  },
  end() {},
};

/** `call_keys`: one row per ObjectKey of a call's key list, with its position in the list. */
export const callKeyRows: RowProducer = {
  table: CALL_KEYS,
  record(rec, out) {
    const list = keyListOf(rec.args());
    for (let i = 0; i < list.length; i++) {
      const k = list[i];
      if (k instanceof ObjectKey)
        out.push(`${rec.index},${i},${csvText(k.hashHex)},${csvText(k.modelName)},${k.kvRank},${k.objectGroupId},${csvText(k.cacheSalt)}\n`);
    }
  },
  end() {},
};

/** The producers of every table, in TABLES order. */
export function rowProducers(): RowProducer[] {
  return [callRows, callKeyRows];
}
