import { TraceHeaderError } from './header.ts';
import { SegmentError, SegmentedTraceReader } from './segments.ts';
import type { CodecRegistry } from '../codec/registry.ts';
import { PrefetchRequestSpec, RawTagged, Tuple, type TraceHeader, type TruncationReport } from '../model.ts';

/** One segment's own figures (offsets are per file). */
export interface SegmentSummary {
  name: string;
  records: number;
  truncated: TruncationReport | null;
  malformed: number;
  malformed_frames?: { offset: number; reason: string }[];
}

/**
 * What `kvtrace info --json` prints per trace: the shape of shared/fixtures MANIFEST.json (LMCache's
 * `trace info`; `duration_s` is LMCache's, the last call's offset from the recorder's start), then
 * what a reader of several traces needs. The one definition of these facts: the CLI and the tests
 * read them from here.
 */
export interface TraceSummary {
  file: string;
  ok: boolean;
  error: string | null;
  header: HeaderFacts | null;
  records: number;
  by_qualname: Record<string, number>;
  duration_s: number;
  truncated: TruncationReport | null;
  malformed: number;
  arg_decode_errors: number;
  /** Not in the manifest shape: offsets and reasons of skipped frames (first 1000 a segment). */
  malformed_frames?: { offset: number; reason: string }[];
  /** The first and last call's `t_mono` (seconds since the recorder's start), null without calls. */
  first_call_s: number | null;
  last_call_s: number | null;
  /** From the first to the last call: the inspector's Stats "duration" (one definition of a trace's length). */
  span_s: number;
  /** Records carrying each unknown argument tag (`arg_decode_errors` counts records with any). */
  unknown_tags: Record<string, number>;
  /** Each segment read, its own figures (one for a plain file; a rotated recording's, in order). */
  segments: SegmentSummary[];
}

/** The header facts a summary reports (the manifest's `header`; the server's /traces listing too). */
export interface HeaderFacts {
  level: string;
  format_version: number;
  trace_schema_version: number;
  t_wall_start: number;
  sm_config_digest: string;
  digest_valid: boolean;
}

export const headerFacts = (h: TraceHeader): HeaderFacts => ({
  level: h.level,
  format_version: h.format_version,
  trace_schema_version: h.trace_schema_version,
  t_wall_start: h.t_wall_start,
  sm_config_digest: h.sm_config_digest,
  digest_valid: h.digest_valid,
});

const byName = (m: Map<string, number>): Record<string, number> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * Reads a whole recording (one file or rotated segments; open the reader with `checkArgs: true` so
 * every argument is checked as a decode would, nothing built) and summarises it. Never throws for
 * a bad trace: the error is in the summary, with every figure of what was read before it.
 */
export async function summarizeRecording(reader: SegmentedTraceReader, file: string, onBytes?: (bytesRead: number) => void): Promise<TraceSummary> {
  const s = unreadSummary(file, null);
  const counts = new Map<string, number>();
  const tags = new Map<string, number>();
  let lo = Infinity;
  let hi = -Infinity;
  try {
    s.header = headerFacts(await reader.header());
    const seen = new Set<string>();
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        counts.set(r.qualname, (counts.get(r.qualname) ?? 0) + 1);
        if (r.t_mono < lo) lo = r.t_mono;
        if (r.t_mono > hi) hi = r.t_mono;
        if (r.unknownTags > 0) {
          seen.clear();
          collectTags(r.args(), seen, 0);
          for (const t of seen) tags.set(t, (tags.get(t) ?? 0) + 1);
        }
      }
      onBytes?.(reader.totals.bytesRead);
    }
    s.ok = true;
  } catch (e) {
    s.error = e instanceof TraceHeaderError || e instanceof SegmentError ? e.message : `read failed: ${(e as Error).message}`;
  }
  s.by_qualname = byName(counts);
  s.unknown_tags = byName(tags);
  if (hi >= lo) {
    s.first_call_s = lo;
    s.last_call_s = hi;
    s.span_s = hi - lo;
    // LMCache reports the last call's offset from t_mono_start (0 when the last call is before it).
    s.duration_s = Math.max(0, hi);
  }
  const segs = reader.segments;
  const totals = reader.totals;
  s.records = totals.records;
  s.malformed = totals.malformed;
  s.arg_decode_errors = totals.argDecodeErrors;
  s.truncated = segs.length > 0 ? segs[segs.length - 1]!.report.truncated : null;
  const frames = segs.flatMap((g) => g.report.malformedFrames.map(({ offset, reason }) => ({ offset, reason: segs.length > 1 ? `${g.name}: ${reason}` : reason })));
  if (frames.length > 0) s.malformed_frames = frames;
  s.segments = segs.map((g) => {
    const out: SegmentSummary = { name: g.name, records: g.report.records, truncated: g.report.truncated, malformed: g.report.malformed };
    if (g.report.malformedFrames.length > 0) out.malformed_frames = g.report.malformedFrames.map(({ offset, reason }) => ({ offset, reason }));
    return out;
  });
  return s;
}

/** The summary of a trace that could not be read at all (no header): every figure 0, the error said. */
export function unreadSummary(file: string, error: string | null): TraceSummary {
  return {
    file,
    ok: false,
    error,
    header: null,
    records: 0,
    by_qualname: {},
    duration_s: 0,
    truncated: null,
    malformed: 0,
    arg_decode_errors: 0,
    first_call_s: null,
    last_call_s: null,
    span_s: 0,
    unknown_tags: {},
    segments: [],
  };
}

/** One trace file's stream, summarised (summarizeRecording of a recording of one segment). */
export function summarizeTrace(stream: ReadableStream<Uint8Array>, file: string, registry?: CodecRegistry): Promise<TraceSummary> {
  return summarizeRecording(new SegmentedTraceReader([{ name: file, open: () => stream }], { checkArgs: true, registry }), file);
}

/** The tags of RawTagged values anywhere in decoded arguments (a payload may nest more). */
function collectTags(v: unknown, out: Set<string>, depth: number): void {
  if (depth > 32 || v === null || typeof v !== 'object') return;
  if (v instanceof RawTagged) {
    out.add(v.tag);
    collectTags(v.payload, out, depth + 1);
  } else if (Array.isArray(v)) for (const x of v) collectTags(x, out, depth + 1);
  else if (v instanceof Tuple) for (const x of v.items) collectTags(x, out, depth + 1);
  else if (v instanceof Set || v instanceof Map) for (const x of v.values()) collectTags(x, out, depth + 1);
  else if (v instanceof PrefetchRequestSpec || v instanceof Uint8Array) return;
  else for (const k in v) collectTags((v as Record<string, unknown>)[k], out, depth + 1);
}
