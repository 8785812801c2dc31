import { SegmentedTraceReader, type ParserOptions } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { READ_BYTES, READ_CHUNK } from '../replay/read-chunk.ts';
import type { TraceSet } from './inputs.ts';

/**
 * A trace set's segments read as one trace, one file open at a time. Several sets are lined up on
 * the wall clock by libs/trace's mergeTraces (the inspector's worker runs the same merge).
 */
export function openTraceSet(set: TraceSet, options: ParserOptions = {}): SegmentedTraceReader {
  return new SegmentedTraceReader(
    set.segments.map((s) => ({ name: s.name, open: () => fileStream(s.path, { highWaterMark: READ_CHUNK, readBytes: READ_BYTES }) })),
    options,
  );
}
