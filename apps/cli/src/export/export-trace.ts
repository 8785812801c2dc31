import { TraceReader, type ReadReport, type TraceHeader } from '@kvtrace/trace';
import { ChromeFormat } from './chrome.ts';
import { CsvFormat } from './csv.ts';
import type { ExportFormat } from './format.ts';
import { JsonlFormat } from './jsonl.ts';
import type { TextSink } from './text-sink.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'chrome'] as const;
export type ExportFormatName = (typeof EXPORT_FORMATS)[number];

export function createFormat(name: ExportFormatName): ExportFormat {
  switch (name) {
    case 'jsonl':
      return new JsonlFormat();
    case 'csv':
      return new CsvFormat();
    case 'chrome':
      return new ChromeFormat();
  }
}

export interface ExportResult {
  header: TraceHeader;
  records: number;
  report: ReadReport;
}

/**
 * Streams a trace into a format and out to a sink: one batch of records in memory at a time, and
 * the sink waits for the output to drain, so a slow consumer slows the reading instead of growing
 * a buffer. Throws TraceHeaderError for an unreadable header.
 */
export async function exportTrace(stream: ReadableStream<Uint8Array>, format: ExportFormat, sink: TextSink, source: string): Promise<ExportResult> {
  const reader = new TraceReader(stream);
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
    await sink.write(format.end());
    await sink.flush();
  } finally {
    await reader.cancel();
  }
  return { header, records, report: reader.report };
}
