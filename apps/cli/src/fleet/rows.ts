import { argsToJson, ObjectKey, PrefetchRequestSpec, SPAN_STATUS_NAMES, SpanKind, STORAGE_MANAGER_PREFIX, TraceAnalyzer, Tuple, phaseDuration, spanDuration, type TraceRecord } from '@kvtrace/trace';
import { CALL_KEYS, CALLS, REQUESTS, type TableSpec } from './tables.ts';

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
 * The staged CSV's quote character: \x01, which JSON text never holds raw (JSON.stringify escapes
 * every control character), so the arguments column, always quoted for its commas, is written as
 * is instead of having its hundreds of `"` doubled. DuckDB reads it with quote = escape = \x01.
 */
export const STAGE_QUOTE = '\x01';

/**
 * A staged CSV field DuckDB reads back exactly: quoted when it holds the quote, a comma or a line
 * break, or is empty (an unquoted empty field is NULL), the quote doubled inside.
 */
export function csvText(s: string): string {
  // eslint-disable-next-line no-control-regex -- \x01 is the staging quote (STAGE_QUOTE)
  if (s === '' || /[\x01,\r\n]/.test(s)) return STAGE_QUOTE + (s.includes(STAGE_QUOTE) ? s.replaceAll(STAGE_QUOTE, STAGE_QUOTE + STAGE_QUOTE) : s) + STAGE_QUOTE;
  return s;
}

/** Text that cannot hold the quote character (JSON), quoted without looking for it. */
const quotedJson = (json: string): string => STAGE_QUOTE + json + STAGE_QUOTE;

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
        `${typeof erid === 'string' && erid !== '' ? csvText(erid) : ''},${quotedJson(JSON.stringify(argsToJson(args)))},${rec.offset}\n`,
    );
  },
  end() {},
};

const EMPTY = STAGE_QUOTE + STAGE_QUOTE;

/** A few distinct model names and salts repeat on every key: their CSV text is made once. */
class FieldCache {
  private readonly map = new Map<string, string>();
  get(s: string): string {
    if (s === '') return EMPTY;
    let t = this.map.get(s);
    if (t === undefined) {
      t = csvText(s);
      if (this.map.size < 4096) this.map.set(s, t);
    }
    return t;
  }
}

/** `call_keys`: one row per ObjectKey of a call's key list, with its position in the list. */
export function callKeyRows(): RowProducer {
  const models = new FieldCache();
  const salts = new FieldCache();
  return {
    table: CALL_KEYS,
    record(rec, out) {
      const list = keyListOf(rec.args());
      for (let i = 0; i < list.length; i++) {
        const k = list[i];
        if (k instanceof ObjectKey)
          out.push(`${rec.index},${i},${k.hashHex || EMPTY},${models.get(k.modelName)},${k.kvRank},${k.objectGroupId},${salts.get(k.cacheSalt)}\n`);
      }
    },
    end() {},
  };
}

/**
 * `requests`: the request analysis of the whole trace, written at its end (a request's outcome is
 * known only then). Holds the analysis' index (tens of bytes per call and per key) and each call's
 * t_wall (8 bytes), not the records.
 */
export function requestRows(): RowProducer {
  const a = new TraceAnalyzer();
  let tWall = new Float64Array(1 << 14);
  return {
    table: REQUESTS,
    record(rec) {
      const c = a.addTraceRecord(rec);
      if (c >= tWall.length) {
        const next = new Float64Array(tWall.length * 2);
        next.set(tWall);
        tWall = next;
      }
      tWall[c] = rec.t_wall;
    },
    end(out) {
      const sp = a.spans();
      const ix = a.index;
      const call = (c: number) => (c < 0 ? '' : String(ix.recordIndexOf(c)));
      const ms = (s: number) => (Number.isFinite(s) ? String(Math.round(s * 1e9) / 1e6) : '');
      for (let s = 0; s < sp.length; s++) {
        const read = sp.kind[s] === SpanKind.read;
        const first = ix.keysOfCall(sp.start[s]!)[0];
        const erid = ix.erids.get(sp.erid[s]!);
        const found = sp.found[s]!;
        out.push(
          [
            String(s),
            read ? 'read' : 'write',
            SPAN_STATUS_NAMES[sp.status[s]!]!,
            erid === '' ? '' : csvText(erid),
            first === undefined ? '' : csvText(ix.keys.modelName(first)),
            call(sp.start[s]!),
            call(sp.enter[s]!),
            call(sp.exit[s]!),
            call(sp.end[s]!),
            String(tWall[sp.start[s]!]!),
            String(sp.keys[s]!),
            found < 0 ? '' : String(found),
            read && found >= 0 && sp.keys[s]! > 0 ? String(found / sp.keys[s]!) : '',
            ms(phaseDuration(sp, s, 'read_wait')),
            ms(phaseDuration(sp, s, 'read_body')),
            ms(phaseDuration(sp, s, 'read_release')),
            ms(spanDuration(sp, s)),
          ].join(',') + '\n',
        );
      }
    },
  };
}

/** The producers of every table, in TABLES order. */
export function rowProducers(): RowProducer[] {
  return [callRows, callKeyRows(), requestRows()];
}
