/**
 * A rotated recording is `NAME.lct` (segment 0) then `NAME.000001.lct`, `NAME.000002.lct`, ...: each
 * segment a complete trace with its own header (server `--trace-max-mb`). Six digits or more, so a
 * base name that merely ends in a short number (`run.42.lct`) stays a recording of its own.
 */
const SEGMENT_NAME = /^(.+)\.(\d{6,})\.lct$/;
const TRACE_FILE_EXTENSION = '.lct';

export interface SegmentName {
  /** The recording's name: the file name without the sequence and the extension. */
  recording: string;
  /** 0 for `NAME.lct`, n for `NAME.00000n.lct`. */
  sequence: number;
}

/** Splits a file name (not a path) into recording and sequence; null if it is not a `.lct` name. */
export function parseSegmentName(fileName: string): SegmentName | null {
  if (!fileName.endsWith(TRACE_FILE_EXTENSION) || fileName.length === TRACE_FILE_EXTENSION.length) return null;
  const m = SEGMENT_NAME.exec(fileName);
  if (m) return { recording: m[1]!, sequence: Number(m[2]) };
  return { recording: fileName.slice(0, -TRACE_FILE_EXTENSION.length), sequence: 0 };
}

/** The file name of segment `sequence` of `recording` (the inverse of parseSegmentName). */
export function segmentFileName(recording: string, sequence: number): string {
  return sequence === 0 ? `${recording}${TRACE_FILE_EXTENSION}` : `${recording}.${String(sequence).padStart(6, '0')}${TRACE_FILE_EXTENSION}`;
}
