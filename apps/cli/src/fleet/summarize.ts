import { PrefetchRequestSpec, RawTagged, SegmentError, TraceHeaderError, Tuple, type TraceSummary, type TruncationReport } from '@kvtrace/trace';
import type { TraceSet } from './inputs.ts';
import { openTraceSet } from './trace-set.ts';

export interface SegmentSummary {
  file: string;
  bytes: number;
  records: number;
  truncated: TruncationReport | null;
  malformed: number;
  malformed_frames?: { offset: number; reason: string }[];
}

/**
 * What `kvtrace info` says about one trace (a file or a rotated recording): the manifest shape of
 * `lmcache trace info` (TraceSummary: `duration_s` is LMCache's, the last call's offset from the
 * recorder's start) plus what a reader of several traces needs.
 */
export interface SetSummary extends TraceSummary {
  server: string;
  /** The first and last call's `t_mono` (seconds since the recorder's start), null without calls. */
  first_call_s: number | null;
  last_call_s: number | null;
  /** From the first to the last call: the inspector's Stats "duration" (one definition of a trace's length). */
  span_s: number;
  /** Records carrying each unknown argument tag (`arg_decode_errors` counts records with any). */
  unknown_tags: Record<string, number>;
  /** Several segments only: each file's own figures (offsets are per file). */
  segments?: SegmentSummary[];
  /** Segment numbers that are not there. */
  missing_segments?: number[];
}

/** Reads a whole trace set, checking every argument, and summarises it. Never throws for a bad trace. */
export async function summarizeSet(set: TraceSet, onBytes?: (bytesRead: number) => void): Promise<SetSummary> {
  const first = set.segments[0]!;
  const s: SetSummary = {
    file: first.path,
    server: set.server,
    ok: false,
    error: null,
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
  };
  if (set.missing.length > 0) s.missing_segments = set.missing;
  if (!set.header) {
    s.error = first.error;
    return s;
  }
  // checkArgs: every argument checked (the damage report) without building it; args() on demand.
  const reader = openTraceSet(set, { checkArgs: true });
  const counts = new Map<string, number>();
  const tags = new Map<string, number>();
  let lo = Infinity;
  let hi = -Infinity;
  try {
    const h = await reader.header();
    s.header = {
      level: h.level,
      format_version: h.format_version,
      trace_schema_version: h.trace_schema_version,
      t_wall_start: h.t_wall_start,
      sm_config_digest: h.sm_config_digest,
      digest_valid: h.digest_valid,
    };
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
  s.by_qualname = Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  s.unknown_tags = Object.fromEntries([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
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
  if (set.segments.length > 1)
    s.segments = set.segments.map((f, i) => {
      const g = segs[i];
      const out: SegmentSummary = { file: f.path, bytes: f.size, records: g?.report.records ?? 0, truncated: g?.report.truncated ?? null, malformed: g?.report.malformed ?? 0 };
      if (g && g.report.malformedFrames.length > 0) out.malformed_frames = g.report.malformedFrames.map(({ offset, reason }) => ({ offset, reason }));
      return out;
    });
  return s;
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
