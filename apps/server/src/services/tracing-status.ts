/**
 * The recording's counts in one shape, for everything that reports them: `/v1/stats`, the `/traces`
 * entry of the live trace, the shutdown line and the demo summary. Every record the server's calls
 * published is either written or dropped for one of the reasons counted here.
 */
import { basename } from 'node:path';
import type { TracingSession } from '@kvtrace/trace/node';

export interface TracingStatus {
  path: string;
  /** The segment being written (the path itself unless rotating). */
  current_path: string;
  recording: boolean;
  state: 'recording' | 'failing' | 'closed';
  /** Why writes fail, or why the recording stopped early; null when all is well. */
  problem: string | null;
  /** Calls published to the event bus. */
  published: number;
  records_written: number;
  /** Every record not written: the sum of the counts below. */
  dropped_total: number;
  /** Dropped on the event bus because its queue was full. */
  dropped: number;
  queue_depth: number;
  queue_capacity: number;
  /** Dropped by the recorder: refused + write_failures + unencodable + after close. */
  recorder_dropped: number;
  /** Records LMCache could not decode (never written). */
  refused: number;
  /** Records in writes that failed (disk full, I/O errors). */
  write_failures: number;
  bytes_written: number;
  /** Segment file names, first to current (one unless rotating). */
  segments: string[];
}

export function tracingStatus(t: TracingSession): TracingStatus {
  const r = t.recorder;
  const state = r.verify();
  const s = r.stats;
  return {
    path: t.path,
    current_path: t.sink.currentPath,
    recording: state !== 'closed',
    state,
    problem: r.problem,
    published: t.bus.published,
    records_written: s.recordsWritten,
    dropped_total: t.bus.dropped + s.droppedCount,
    dropped: t.bus.dropped,
    queue_depth: t.bus.depth,
    queue_capacity: t.bus.capacity,
    recorder_dropped: s.droppedCount,
    refused: s.refused,
    write_failures: s.writeFailures,
    bytes_written: s.bytesWritten,
    segments: t.sink.segments.map((p) => basename(p)),
  };
}

/** `1668 records written, 3 dropped (2 queue full, 1 write failed)` plus the state when not plain. */
export function tracingSummary(s: TracingStatus): string {
  const parts: string[] = [];
  if (s.dropped) parts.push(`${s.dropped} queue full`);
  if (s.refused) parts.push(`${s.refused} refused: LMCache could not decode them`);
  if (s.write_failures) parts.push(`${s.write_failures} write failed`);
  const other = s.recorder_dropped - s.refused - s.write_failures;
  if (other) parts.push(`${other} other`);
  const dropped = `${s.dropped_total} dropped${parts.length ? ` (${parts.join(', ')})` : ''}`;
  const segs = s.segments.length > 1 ? ` in ${s.segments.length} segments` : '';
  const problem = s.problem ? `; ${s.state === 'failing' ? 'writes failing' : 'stopped'}: ${s.problem}` : '';
  return `${s.records_written} records written${segs}, ${dropped}${problem}`;
}
