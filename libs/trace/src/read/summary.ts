import { TraceHeaderError } from './header.ts';
import { SegmentError, SegmentedTraceReader } from './segments.ts';
import type { CodecRegistry } from '../codec/registry.ts';
import { PrefetchRequestSpec, RawTagged, Tuple, type TraceHeader, type TraceRecord, type TruncationReport } from '../model.ts';
import { MAX_LISTED, TraceParser, type ReadReport } from './trace-parser.ts';

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
  const tally = new RecordTally();
  try {
    s.header = headerFacts(await reader.header());
    for await (const batch of reader.batches()) {
      for (const r of batch) tally.add(r);
      onBytes?.(reader.totals.bytesRead);
    }
    s.ok = true;
  } catch (e) {
    s.error = e instanceof TraceHeaderError || e instanceof SegmentError ? e.message : `read failed: ${(e as Error).message}`;
  }
  fillSummary(s, tally, reader.segments);
  return s;
}

/** A tally as plain data, for postMessage between threads. */
export interface TallyData {
  counts: [string, number][];
  tags: [string, number][];
  lo: number;
  hi: number;
}

/**
 * The per-record figures of a summary (calls by method, first and last call, records by unknown
 * tag), added record by record and merged part by part: the one definition for a serial read and
 * for a file summarised in parts by several threads.
 */
export class RecordTally {
  private readonly counts = new Map<string, number>();
  private readonly tags = new Map<string, number>();
  private lo = Infinity;
  private hi = -Infinity;
  private readonly seen = new Set<string>();

  add(r: TraceRecord): void {
    this.counts.set(r.qualname, (this.counts.get(r.qualname) ?? 0) + 1);
    if (r.t_mono < this.lo) this.lo = r.t_mono;
    if (r.t_mono > this.hi) this.hi = r.t_mono;
    if (r.unknownTags > 0) {
      this.seen.clear();
      collectTags(r.args(), this.seen, 0);
      for (const t of this.seen) this.tags.set(t, (this.tags.get(t) ?? 0) + 1);
    }
  }

  merge(d: TallyData): void {
    for (const [q, n] of d.counts) this.counts.set(q, (this.counts.get(q) ?? 0) + n);
    for (const [t, n] of d.tags) this.tags.set(t, (this.tags.get(t) ?? 0) + n);
    if (d.lo < this.lo) this.lo = d.lo;
    if (d.hi > this.hi) this.hi = d.hi;
  }

  data(): TallyData {
    return { counts: [...this.counts], tags: [...this.tags], lo: this.lo, hi: this.hi };
  }

  /** Writes the tally's figures into a summary. */
  fill(s: TraceSummary): void {
    s.by_qualname = byName(this.counts);
    s.unknown_tags = byName(this.tags);
    if (this.hi >= this.lo) {
      s.first_call_s = this.lo;
      s.last_call_s = this.hi;
      s.span_s = this.hi - this.lo;
      // LMCache reports the last call's offset from t_mono_start (0 when the last call is before it).
      s.duration_s = Math.max(0, this.hi);
    }
  }
}

/** The figures of a summary: the tally's, then each segment's read report (records, damage) and their totals. */
export function fillSummary(s: TraceSummary, tally: RecordTally, segs: readonly { name: string; report: ReadReport }[]): void {
  tally.fill(s);
  s.records = segs.reduce((n, g) => n + g.report.records, 0);
  s.malformed = segs.reduce((n, g) => n + g.report.malformed, 0);
  s.arg_decode_errors = segs.reduce((n, g) => n + g.report.argDecodeErrors, 0);
  s.truncated = segs.length > 0 ? segs[segs.length - 1]!.report.truncated : null;
  const frames = segs.flatMap((g) => g.report.malformedFrames.map(({ offset, reason }) => ({ offset, reason: segs.length > 1 ? `${g.name}: ${reason}` : reason })));
  if (frames.length > 0) s.malformed_frames = frames;
  s.segments = segs.map((g) => {
    const out: SegmentSummary = { name: g.name, records: g.report.records, truncated: g.report.truncated, malformed: g.report.malformed };
    if (g.report.malformedFrames.length > 0) out.malformed_frames = g.report.malformedFrames.map(({ offset, reason }) => ({ offset, reason }));
    return out;
  });
}

/** Bytes per push when summarising a part (the CLI's READ_CHUNK measured best for records checked one by one). */
const PUSH_BYTES = 64 * 1024;

/** What one part of a file gives (its records' tally and its read report), for a file summarised in parts. */
export interface FramesFigures {
  tally: TallyData;
  report: ReadReport;
}

/**
 * Summarises one part of a file: `bytes` are whole record frames (after the header), the first at
 * file offset `offset`. Every record is checked as with `checkArgs`. Merge the parts, in file
 * order, with summaryOfParts.
 */
export function summarizeFrames(bytes: Uint8Array, offset: number, options: { registry?: CodecRegistry; maxMalformedListed?: number } = {}): FramesFigures {
  const parser = new TraceParser({ checkArgs: true, recordsFrom: offset, registry: options.registry, maxMalformedListed: options.maxMalformedListed ?? MAX_LISTED });
  const tally = new RecordTally();
  // Pushed in small views, so each push's records die young (one push of a whole part kept
  // thousands of records alive at once and doubled the GC's share).
  for (let at = 0; at < bytes.length; at += PUSH_BYTES) for (const r of parser.push(bytes.subarray(at, Math.min(at + PUSH_BYTES, bytes.length)))) tally.add(r);
  parser.finish();
  if (parser.report.truncated) throw new Error(`the part at byte ${offset} does not end on a frame boundary`);
  return { tally: tally.data(), report: parser.report };
}

/**
 * A file summarised in parts (summarizeFrames of each, in file order) and its tail: the summary
 * summarizeRecording gives for the whole file, read as one segment named `segment`.
 */
export function summaryOfParts(file: string, segment: string, header: TraceHeader, parts: readonly FramesFigures[], truncated: TruncationReport | null, bytesRead: number): TraceSummary {
  const s = unreadSummary(file, null);
  s.header = headerFacts(header);
  s.ok = true;
  const tally = new RecordTally();
  const report: ReadReport = { records: 0, malformed: 0, malformedFrames: [], argDecodeErrors: 0, truncated, bytesRead };
  for (const p of parts) {
    tally.merge(p.tally);
    report.records += p.report.records;
    report.malformed += p.report.malformed;
    report.argDecodeErrors += p.report.argDecodeErrors;
    for (const f of p.report.malformedFrames) if (report.malformedFrames.length < MAX_LISTED) report.malformedFrames.push(f);
  }
  fillSummary(s, tally, [{ name: segment, report }]);
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
