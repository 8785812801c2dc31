import { TraceAnalyzer, TraceReader, type ReadReport, type TraceHeader, type TraceRecord } from '@kvtrace/trace';
import type { ExportFormat } from './formats.ts';
import type { TextSink } from './text-sink.ts';

export { EXPORT_FORMATS, createFormat, type ExportFormat, type ExportFormatName } from './formats.ts';

/**
 * Records to export: one trace's reader (TraceReader), or several traces merged on the wall clock
 * (commands/export.ts). Opened afresh for each pass.
 */
export interface RecordSource {
  header(): Promise<TraceHeader>;
  batches(): AsyncIterable<readonly TraceRecord[]>;
  cancel(): Promise<void>;
}

/**
 * Streams records into a format and out to a sink: one batch of records in memory at a time, and
 * the sink waits for the output to drain, so a slow consumer slows the reading instead of growing
 * a buffer. A format that needs the analysis (chrome) gets a first pass that indexes the keys only.
 * Throws TraceHeaderError for an unreadable header. Returns the header and the records written.
 */
export async function exportRecords<S extends RecordSource>(open: (pass: 'analysis' | 'export') => S, format: ExportFormat, sink: TextSink, source: string): Promise<{ header: TraceHeader; records: number; reader: S }> {
  const analysis = format.needsAnalysis ? await analyzeRecords(open('analysis')) : null;
  const reader = open('export');
  const header = await reader.header();
  let records = 0;
  try {
    await sink.write(format.begin(header, source));
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        const text = format.record(rec);
        if (text) {
          const wait = sink.write(text);
          if (wait) await wait;
        }
        records++;
      }
    }
    await sink.write(format.end(analysis));
    await sink.flush();
  } finally {
    await reader.cancel();
  }
  return { header, records, reader };
}

/**
 * The whole-trace analysis (index, request spans) of one pass. Records of several traces carry
 * their server, and the analyzer keeps each server's keys apart.
 */
export async function analyzeRecords(reader: RecordSource): Promise<TraceAnalyzer> {
  await reader.header();
  const a = new TraceAnalyzer();
  try {
    for await (const batch of reader.batches()) for (const rec of batch) a.addTraceRecord(rec);
  } finally {
    await reader.cancel();
  }
  return a;
}

export interface ExportResult {
  header: TraceHeader;
  records: number;
  report: ReadReport;
}

/** One trace file's stream, opened afresh for each pass, through exportRecords. */
export async function exportTrace(open: () => ReadableStream<Uint8Array>, format: ExportFormat, sink: TextSink, source: string): Promise<ExportResult> {
  const { header, records, reader } = await exportRecords((pass) => new TraceReader(open(), { decodeArgs: pass === 'export' }), format, sink, source);
  return { header, records, report: reader.report };
}
