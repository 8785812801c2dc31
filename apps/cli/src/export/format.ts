import type { TraceHeader, TraceRecord } from '@kvtrace/trace';

/**
 * One export format: text for the start, for each record (possibly empty or several lines), and
 * for the end. Formats never see more than one record at a time (chrome keeps only open scopes),
 * which is what keeps an export of a multi-GB trace in constant memory.
 */
export interface ExportFormat {
  begin(header: TraceHeader, source: string): string;
  record(rec: TraceRecord): string;
  end(): string;
}
