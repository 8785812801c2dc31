import { summarizeRecording, unreadSummary, type SegmentSummary as RecordingSegment, type TraceSummary } from '@kvtrace/trace';
import type { TraceSet } from './inputs.ts';
import { partThreads, summarizeFileInParts, type PartsOptions } from './parallel-summary.ts';
import { openTraceSet } from './trace-set.ts';

/** A segment file's figures: libs/trace's per-segment summary with its path and size. */
export interface SegmentSummary extends Omit<RecordingSegment, 'name'> {
  file: string;
  bytes: number;
}

/** What `kvtrace info` says about one trace: libs/trace's TraceSummary (one definition of every figure) with the server, its files and the segments missing. */
export interface SetSummary extends Omit<TraceSummary, 'segments'> {
  server: string;
  /** Several segments only: each file's own figures (a file not reached, after an error: 0 records). */
  segments?: SegmentSummary[];
  /** Segment numbers that are not there. */
  missing_segments?: number[];
}

/**
 * Reads a whole trace set, checking every argument, and summarises it. Never throws for a bad trace.
 * A big single file is read in parts by several threads (parallel-summary.ts; `threads` overrides
 * the choice by size); a rotated recording, and a file whose header is bad, by one reader.
 */
export async function summarizeSet(set: TraceSet, onBytes?: (bytesRead: number) => void, threads = partThreads(set.bytes), parts: Pick<PartsOptions, 'startWorker'> = {}): Promise<SetSummary> {
  const first = set.segments[0]!;
  // A read in parts that fails (a worker that cannot start, a read error) leaves the file to the one
  // reader, which reports a read error in the summary with every figure read before it.
  const inParts =
    set.header && set.segments.length === 1 && threads > 1 ? await summarizeFileInParts(first.path, { ...parts, segment: first.name, threads, onBytes }).catch(() => null) : null;
  // checkArgs: every argument checked (the damage report) without building it; args() on demand.
  const base = inParts ?? (set.header ? await summarizeRecording(openTraceSet(set, { checkArgs: true }), first.path, onBytes) : unreadSummary(first.path, first.error));
  const { segments: read, ...rest } = base;
  const s: SetSummary = { ...rest, server: set.server };
  if (set.segments.length > 1)
    s.segments = set.segments.map((f, i) => {
      const { name: _name, ...figures } = read[i] ?? { name: f.name, records: 0, truncated: null, malformed: 0 };
      return { file: f.path, bytes: f.size, ...figures };
    });
  if (set.missing.length > 0) s.missing_segments = set.missing;
  return s;
}
