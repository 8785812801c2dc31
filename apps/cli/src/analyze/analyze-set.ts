import { TraceAnalyzer, TraceHeaderError, SegmentError, type TraceHeader } from '@kvtrace/trace';
import type { TraceSet } from '../fleet/inputs.ts';
import { openTraceSet } from '../fleet/trace-set.ts';

export interface AnalyzedSet {
  set: TraceSet;
  header: TraceHeader | null;
  analyzer: TraceAnalyzer;
  /** Why the trace could not be read (a bad header), else null; a truncated tail is not an error. */
  error: string | null;
}

/**
 * One trace (a file or a rotated recording) through the request analysis in one streaming pass:
 * keys are read straight from the record bytes (no argument is built or kept), so memory follows
 * the index (a few tens of bytes per call and per key), not the file.
 */
export async function analyzeSet(set: TraceSet, onBytes?: (bytesRead: number) => void): Promise<AnalyzedSet> {
  const analyzer = new TraceAnalyzer();
  if (!set.header) return { set, header: null, analyzer, error: set.problem ?? set.segments[0]?.error ?? 'unreadable header' };
  const reader = openTraceSet(set, { decodeArgs: false });
  try {
    const header = await reader.header();
    for await (const batch of reader.batches()) {
      for (const rec of batch) analyzer.addTraceRecord(rec);
      onBytes?.(reader.totals.bytesRead);
    }
    return { set, header, analyzer, error: null };
  } catch (e) {
    if (e instanceof TraceHeaderError || e instanceof SegmentError) return { set, header: null, analyzer, error: e.message };
    throw e;
  }
}
