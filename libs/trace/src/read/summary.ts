import { TraceHeaderError } from './header.ts';
import { TraceReader } from './trace-reader.ts';
import type { CodecRegistry } from '../codec/registry.ts';
import type { TruncationReport } from '../model.ts';

/** What `kvtrace info --json` prints per file (the shape of shared/fixtures MANIFEST.json). */
export interface TraceSummary {
  file: string;
  ok: boolean;
  error: string | null;
  header: {
    level: string;
    format_version: number;
    trace_schema_version: number;
    t_wall_start: number;
    sm_config_digest: string;
    digest_valid: boolean;
  } | null;
  records: number;
  by_qualname: Record<string, number>;
  duration_s: number;
  truncated: TruncationReport | null;
  malformed: number;
  arg_decode_errors: number;
  /** Not in the manifest shape: offsets and reasons of skipped frames (first 1000). */
  malformed_frames?: { offset: number; reason: string }[];
}

/** Reads a whole trace, checking every record's arguments, and summarises it. Never throws for a bad file. */
export async function summarizeTrace(stream: ReadableStream<Uint8Array>, file: string, registry?: CodecRegistry): Promise<TraceSummary> {
  const summary: TraceSummary = {
    file,
    ok: false,
    error: null,
    header: null,
    records: 0,
    by_qualname: {},
    duration_s: 0,
    truncated: null,
    malformed: 0,
    arg_decode_errors: 0,
  };
  const reader = new TraceReader(stream, { checkArgs: true, registry });
  try {
    const h = await reader.header();
    summary.header = {
      level: h.level,
      format_version: h.format_version,
      trace_schema_version: h.trace_schema_version,
      t_wall_start: h.t_wall_start,
      sm_config_digest: h.sm_config_digest,
      digest_valid: h.digest_valid,
    };
    // LMCache reports the last call's offset from t_mono_start (records are relative to it).
    let last = 0;
    const counts = new Map<string, number>();
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        counts.set(r.qualname, (counts.get(r.qualname) ?? 0) + 1);
        if (r.t_mono > last) last = r.t_mono;
      }
    }
    summary.ok = true;
    summary.by_qualname = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    summary.duration_s = last;
  } catch (e) {
    if (e instanceof TraceHeaderError) summary.error = e.message;
    else summary.error = `read failed: ${(e as Error).message}`;
  }
  const rep = reader.report;
  summary.records = rep.records;
  summary.truncated = rep.truncated;
  summary.malformed = rep.malformed;
  summary.arg_decode_errors = rep.argDecodeErrors;
  if (rep.malformedFrames.length > 0) summary.malformed_frames = rep.malformedFrames.map(({ offset, reason }) => ({ offset, reason }));
  return summary;
}
