import { TraceAnalyzer, TraceReader, type ReadReport, type TraceHeader } from '@kvtrace/trace';
import type { ExportFormat } from './formats.ts';
import type { TextSink } from './text-sink.ts';

export { EXPORT_FORMATS, createFormat, type ExportFormat, type ExportFormatName } from './formats.ts';

export interface ExportResult {
  header: TraceHeader;
  records: number;
  report: ReadReport;
}

/** Opens the trace afresh (a format that needs the analysis reads it twice). */
export type OpenTrace = () => ReadableStream<Uint8Array>;

/**
 * Streams a trace into a format and out to a sink: one batch of records in memory at a time, and
 * the sink waits for the output to drain, so a slow consumer slows the reading instead of growing
 * a buffer. A format that needs the analysis (chrome) gets a first pass that indexes the keys only.
 * Throws TraceHeaderError for an unreadable header.
 */
export async function exportTrace(open: OpenTrace, format: ExportFormat, sink: TextSink, source: string): Promise<ExportResult> {
  const analysis = format.needsAnalysis ? await analyzeTrace(open()) : null;
  const reader = new TraceReader(open());
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
  return { header, records, report: reader.report };
}

/** The whole-trace analysis (index, request spans) of one pass, keys read from the bytes. */
export async function analyzeTrace(stream: ReadableStream<Uint8Array>): Promise<TraceAnalyzer> {
  const reader = new TraceReader(stream, { decodeArgs: false });
  await reader.header();
  const a = new TraceAnalyzer();
  try {
    for await (const batch of reader.batches()) for (const rec of batch) a.addTraceRecord(rec);
  } finally {
    await reader.cancel();
  }
  return a;
}
