import type { ServerFile } from '../model/trace-set.ts';

/** One entry of `GET /traces` (apps/server/src/routes/README.md). */
export interface ServerTrace {
  name: string;
  size: number;
  mtime: string | number;
  recording: boolean;
  /** The first segment's name (`NAME.lct`) of the rotated recording this file belongs to. */
  segment_of?: string;
  /** Its sequence in that recording (0 for `NAME.lct`). */
  segment?: number;
  header: { level?: string; trace_schema_version?: number; t_wall_start?: number } | null;
  error: string | null;
}

/** A recording as the lists show it: one row, however many segments it was rotated into. */
export interface ServerRecording {
  /** Its first segment's name. */
  name: string;
  /** Its files by sequence. */
  files: ServerTrace[];
  size: number;
  /** The newest segment's time. */
  mtime: string | number;
  /** Its last segment is being recorded now. */
  recording: boolean;
  header: ServerTrace['header'];
  error: string | null;
}

const time = (m: string | number): number => (typeof m === 'number' ? (m < 1e12 ? m * 1000 : m) : Date.parse(m));

/**
 * The listing's files grouped into recordings by `segment_of` (a server that does not say is one
 * recording per file), in the listing's order (newest first) by each recording's newest file.
 */
export function serverRecordings(traces: readonly ServerTrace[]): ServerRecording[] {
  const by = new Map<string, ServerTrace[]>();
  for (const t of traces) {
    const key = t.segment_of ?? t.name;
    const list = by.get(key);
    if (list) list.push(t);
    else by.set(key, [t]);
  }
  const out: ServerRecording[] = [];
  for (const [name, list] of by) {
    const files = [...list].sort((a, b) => (a.segment ?? 0) - (b.segment ?? 0));
    const newest = files.reduce((m, f) => (time(f.mtime) > time(m.mtime) ? f : m));
    out.push({
      name,
      files,
      size: files.reduce((n, f) => n + f.size, 0),
      mtime: newest.mtime,
      recording: files[files.length - 1]!.recording,
      header: files[0]!.header,
      error: files.find((f) => f.error !== null)?.error ?? null,
    });
  }
  return out;
}

/** What opening some recordings asks the loader for: every file, and live only for one recording being recorded. */
export function openRequestOf(recordings: readonly ServerRecording[]): { files: ServerFile[]; follow: boolean } {
  return {
    // A file being recorded grows past its listed size: its size is learnt from the read.
    files: recordings.flatMap((r) => r.files.map((f) => (f.recording ? { name: f.name } : { name: f.name, size: f.size }))),
    follow: recordings.length === 1 && recordings[0]!.recording,
  };
}
