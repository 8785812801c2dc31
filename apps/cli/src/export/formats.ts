import { ChromeTraceWriter, TraceAnalyzer, chromeTraceOptions, csvHeader, csvLine, exportRow, jsonLine, type TraceHeader, type TraceRecord } from '@kvtrace/trace';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'chrome'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

/**
 * One text export format over libs/trace's exporters (the inspector writes the same bytes): text
 * for the start, for each record, and for the end. Formats that describe the whole trace (chrome's
 * request spans) are given the analysis of a first pass over the same records (`needsAnalysis`).
 * Only one record is held at a time, which keeps an export of a multi-GB trace in bounded memory.
 */
export interface ExportFormat {
  readonly needsAnalysis: boolean;
  begin(header: TraceHeader, source: string): string;
  record(rec: TraceRecord): string;
  end(analysis: TraceAnalyzer | null): string;
}

/** `servers`: the records come from several traces (a merge): their rows name their server. */
export function createFormat(name: ExportFormatName, servers = false): ExportFormat {
  const server = servers ? serverOf : () => '';
  switch (name) {
    case 'jsonl':
      return rowFormat('', jsonLine, server);
    case 'csv':
      return rowFormat(csvHeader(), csvLine, server);
    case 'chrome':
      return chromeFormat(server);
  }
}

/** Calls are numbered in the order they are written: the position among the good records. */
function rowFormat(head: string, line: (r: ReturnType<typeof exportRow>) => string, server: (rec: TraceRecord) => string): ExportFormat {
  let call = 0;
  return {
    needsAnalysis: false,
    begin: () => head,
    record: (rec) => line(exportRow(call++, rec.index, rec, server(rec))),
    end: () => '',
  };
}

function chromeFormat(server: (rec: TraceRecord) => string): ExportFormat {
  let w: ChromeTraceWriter | null = null;
  let call = 0;
  return {
    needsAnalysis: true,
    begin(header, source) {
      w = new ChromeTraceWriter(chromeTraceOptions(source, header));
      return w.begin();
    },
    record: (rec) => w!.call(exportRow(call++, rec.index, rec, server(rec))),
    end(analysis) {
      const a = analysis ?? new TraceAnalyzer();
      return w!.end(a.spans(), (id) => a.index.erids.get(id));
    },
  };
}

/** Records merged from several traces carry their server (libs/trace mergeTraces: AlignedRecord); a single trace's do not. */
function serverOf(rec: TraceRecord): string {
  const s = (rec as TraceRecord & { server?: unknown }).server;
  return typeof s === 'string' ? s : '';
}
