import type { CallIndex } from './call-index.ts';
import { argsToJson } from './to-json.ts';
import type { RecordSource } from './types.ts';

/** Calls per yielded chunk: big enough to amortise, small enough to stream to a Blob or a socket. */
const ROWS_PER_CHUNK = 1000;

export const CSV_COLUMNS = ['call', 'record', 't_mono', 't_wall', 'method', 'qualname', 'keys', 'args'] as const;

/** The filtered calls as JSON lines, one object per call, in pieces (each piece ends with a newline). */
export function* jsonlChunks(calls: ArrayLike<number>, index: CallIndex, source: RecordSource): Generator<string> {
  let buf: string[] = [];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const ri = index.recordIndexOf(c);
    const rec = source.record(ri);
    buf.push(
      JSON.stringify({
        call: c,
        record: ri,
        t_mono: rec.t_mono,
        t_wall: rec.t_wall,
        method: index.methods.shortName(index.methodOf(c)),
        qualname: rec.qualname,
        args: argsToJson(rec.args()),
      }),
    );
    if (buf.length === ROWS_PER_CHUNK) {
      yield buf.join('\n') + '\n';
      buf = [];
    }
  }
  if (buf.length > 0) yield buf.join('\n') + '\n';
}

/** The filtered calls as RFC 4180 CSV (header row first); `args` is the JSON of the arguments. */
export function* csvChunks(calls: ArrayLike<number>, index: CallIndex, source: RecordSource): Generator<string> {
  let buf: string[] = [CSV_COLUMNS.join(',')];
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    const ri = index.recordIndexOf(c);
    const rec = source.record(ri);
    const row = [
      String(c),
      String(ri),
      String(rec.t_mono),
      String(rec.t_wall),
      csvField(index.methods.shortName(index.methodOf(c))),
      csvField(rec.qualname),
      String(index.keyCountOf(c)),
      csvField(JSON.stringify(argsToJson(rec.args()))),
    ];
    buf.push(row.join(','));
    if (buf.length >= ROWS_PER_CHUNK) {
      yield buf.join('\r\n') + '\r\n';
      buf = [];
    }
  }
  if (buf.length > 0) yield buf.join('\r\n') + '\r\n';
}

export const toJsonl = (calls: ArrayLike<number>, index: CallIndex, source: RecordSource): string => [...jsonlChunks(calls, index, source)].join('');
export const toCsv = (calls: ArrayLike<number>, index: CallIndex, source: RecordSource): string => [...csvChunks(calls, index, source)].join('');

export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
