import { shortMethodName, type TraceHeader, type TraceRecord } from '@kvtrace/trace';
import type { ExportFormat } from './format.ts';
import { argsToJson } from './to-json.ts';

export const CSV_COLUMNS = ['index', 'offset', 't_mono', 't_wall', 'qualname', 'method', 'args', 'args_error'] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One row per record, the arguments as one JSON cell (spreadsheets and pandas parse it back). */
export class CsvFormat implements ExportFormat {
  begin(_header: TraceHeader, _source: string): string {
    return CSV_COLUMNS.join(',') + '\r\n';
  }

  record(rec: TraceRecord): string {
    const { args, error } = argsToJson(() => rec.args());
    return (
      [
        String(rec.index),
        String(rec.offset),
        String(rec.t_mono),
        String(rec.t_wall),
        csvField(rec.qualname),
        csvField(shortMethodName(rec.qualname)),
        args === null ? '' : csvField(JSON.stringify(args)),
        error === null ? '' : csvField(error),
      ].join(',') + '\r\n'
    );
  }

  end(): string {
    return '';
  }
}
