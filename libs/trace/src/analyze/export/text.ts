import type { ExportRow } from './row.ts';

/** The one CSV schema of kvtrace exports (CLI and inspector). */
export const CSV_COLUMNS = ['server', 'call', 'record', 'offset', 't_mono', 't_wall', 'method', 'qualname', 'keys', 'external_request_id', 'args', 'args_error'] as const;

/** RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvHeader = (): string => CSV_COLUMNS.join(',') + '\r\n';

/** One CSV line (CRLF-terminated); `args` is one JSON cell that spreadsheets and pandas parse back. */
export function csvLine(r: ExportRow): string {
  return (
    [
      csvField(r.server),
      String(r.call),
      String(r.record),
      String(r.offset),
      String(r.t_mono),
      String(r.t_wall),
      csvField(r.method),
      csvField(r.qualname),
      String(r.keys),
      csvField(r.external_request_id),
      r.args === null ? '' : csvField(JSON.stringify(r.args)),
      r.args_error === null ? '' : csvField(r.args_error),
    ].join(',') + '\r\n'
  );
}

/** One JSON line: the row's fields in CSV_COLUMNS order, `args_error` only when the arguments did not decode. */
export function jsonLine(r: ExportRow): string {
  const { args_error, ...rest } = r;
  return JSON.stringify(args_error === null ? rest : { ...rest, args_error }) + '\n';
}
