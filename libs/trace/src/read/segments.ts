import type { IndexArgsSink } from './index-args.ts';
import type { TraceHeader, TraceRecord } from '../model.ts';
import { TraceHeaderError } from './header.ts';
import { RecordView } from './record-view.ts';
import type { ParserOptions, ReadReport } from './trace-parser.ts';
import { TraceReader } from './trace-reader.ts';
import { parseSegmentName } from '../format/segment-name.ts';

export interface RecordingGroup<T> {
  recording: string;
  /** By sequence, ascending. */
  segments: { sequence: number; item: T }[];
  /** Sequences between 0 and the last one that are not there (a segment not collected, deleted, ...). */
  missing: number[];
}

/**
 * Groups files into recordings by name. Names only: the caller groups per directory (two folders
 * may each hold a `trace.lct` of a different server). Items that are not `.lct` names are left out;
 * two items for one segment are an error (the same file given twice, or two folders mixed).
 */
export function groupSegments<T>(items: readonly T[], nameOf: (item: T) => string): RecordingGroup<T>[] {
  const byRecording = new Map<string, Map<number, T>>();
  for (const item of items) {
    const name = nameOf(item);
    const parsed = parseSegmentName(name);
    if (!parsed) continue;
    let segs = byRecording.get(parsed.recording);
    if (!segs) byRecording.set(parsed.recording, (segs = new Map()));
    if (segs.has(parsed.sequence))
      throw new Error(`two files for segment ${parsed.sequence} of recording ${JSON.stringify(parsed.recording)} (${JSON.stringify(nameOf(segs.get(parsed.sequence)!))} and ${JSON.stringify(name)})`);
    segs.set(parsed.sequence, item);
  }
  const out: RecordingGroup<T>[] = [];
  for (const [recording, segs] of byRecording) {
    const segments = [...segs].sort((a, b) => a[0] - b[0]).map(([sequence, item]) => ({ sequence, item }));
    const last = segments[segments.length - 1]!.sequence;
    const missing: number[] = [];
    for (let s = 0; s <= last; s++) if (!segs.has(s)) missing.push(s);
    out.push({ recording, segments, missing });
  }
  return out.sort((a, b) => (a.recording < b.recording ? -1 : a.recording > b.recording ? 1 : 0));
}

/** One segment to read: a name for messages and records, and a way to open its bytes (opened once, when reached). */
export interface SegmentSource {
  name: string;
  open(): ReadableStream<Uint8Array>;
}

/** What reading one segment found (per-file offsets, as in the file). */
export interface SegmentReport {
  name: string;
  header: TraceHeader;
  /** Index (in the whole recording) of this segment's first record. */
  firstRecord: number;
  report: ReadReport;
}

/** A later segment that is not a continuation of the first: another recording, or an unreadable header. */
export class SegmentError extends Error {
  constructor(
    readonly segment: string,
    message: string,
  ) {
    super(`${segment}: ${message}`);
    this.name = 'SegmentError';
  }
}

/**
 * A record of a segmented recording: `index` counts on across segments, `t_mono` is relative to the
 * first segment's `t_mono_start` (a segment's header may restart the clock), and `offset` is the
 * byte offset in the file named `file` (the `segment`-th source).
 */
export class SegmentRecord implements TraceRecord {
  readonly offset: number;
  readonly frameBytes: number;
  readonly t_wall: number;
  readonly qualname: string;

  constructor(
    readonly record: TraceRecord,
    readonly index: number,
    readonly t_mono: number,
    readonly segment: number,
    readonly file: string,
  ) {
    this.offset = record.offset;
    this.frameBytes = record.frameBytes;
    this.t_wall = record.t_wall;
    this.qualname = record.qualname;
  }

  get unknownTags(): number {
    return this.record.unknownTags;
  }
  args(): Record<string, unknown> {
    return this.record.args();
  }
  decodeArgs(): Record<string, unknown> {
    return this.record.decodeArgs();
  }
  /** The index's key walk straight from the bytes (see RecordView.indexArgs). */
  indexArgs(sink: IndexArgsSink): void {
    if (this.record instanceof RecordView) return this.record.indexArgs(sink);
    const args = this.record.decodeArgs();
    for (const name in args) sink.value(name, args[name]);
  }
}

/** Header fields that must agree between segments of one recording. */
const CONTINUATION_FIELDS = ['level', 'format_version', 'trace_schema_version', 'sm_config_digest'] as const;

/**
 * Reads the segments of one recording as one trace: the first header is the trace's header, every
 * later header must agree with it on level, versions and config digest (else SegmentError, raised
 * when that segment is reached; records before it were already yielded), and records continue with
 * their indices. Each segment's damage (a truncated tail where a recorder was killed mid-rotation,
 * malformed frames) is reported per segment in `segments`; reading goes on with the next segment.
 * One segment is open at a time. A bad first header throws TraceHeaderError, as TraceReader does.
 */
export class SegmentedTraceReader {
  private readonly done: SegmentReport[] = [];
  private current: TraceReader | null = null;
  private first: TraceHeader | null = null;
  private cancelled = false;

  constructor(
    private readonly sources: readonly SegmentSource[],
    private readonly options: ParserOptions = {},
  ) {
    if (sources.length === 0) throw new Error('a recording needs at least one segment');
  }

  /** The first segment's header. */
  async header(): Promise<TraceHeader> {
    if (this.first) return this.first;
    if (!this.current) this.current = new TraceReader(this.sources[0]!.open(), this.options);
    this.first = await this.current.header();
    return this.first;
  }

  /** Segments read so far (all of them once batches() has ended), the one being read included. */
  get segments(): readonly SegmentReport[] {
    return this.done;
  }

  /** Totals over the segments read so far. */
  get totals(): { records: number; malformed: number; argDecodeErrors: number; bytesRead: number; truncatedSegments: number } {
    let records = 0, malformed = 0, argDecodeErrors = 0, bytesRead = 0, truncatedSegments = 0;
    for (const s of this.done) {
      records += s.report.records;
      malformed += s.report.malformed;
      argDecodeErrors += s.report.argDecodeErrors;
      bytesRead += s.report.bytesRead;
      if (s.report.truncated) truncatedSegments++;
    }
    return { records, malformed, argDecodeErrors, bytesRead, truncatedSegments };
  }

  /**
   * The recording's ReadReport, as TraceReader.report is a file's: totals so far, the last segment
   * read's truncation (an earlier segment's cut tail is in `segments`), malformed frames with the
   * segment's name in the reason when there are several (their offsets are per file).
   */
  get report(): ReadReport {
    const t = this.totals;
    const several = this.sources.length > 1;
    return {
      records: t.records,
      malformed: t.malformed,
      malformedFrames: this.done.flatMap((s) => s.report.malformedFrames.map((f) => (several ? { ...f, reason: `${s.name}: ${f.reason}` } : f))),
      argDecodeErrors: t.argDecodeErrors,
      truncated: this.done.length > 0 ? this.done[this.done.length - 1]!.report.truncated : null,
      bytesRead: t.bytesRead,
    };
  }

  async *batches(): AsyncGenerator<SegmentRecord[]> {
    const first = await this.header();
    let base = 0;
    try {
      for (let i = 0; i < this.sources.length && !this.cancelled; i++) {
        const source = this.sources[i]!;
        let reader: TraceReader;
        let header: TraceHeader;
        if (i === 0) {
          reader = this.current!;
          header = first;
        } else {
          reader = this.current = new TraceReader(source.open(), this.options);
          try {
            header = await reader.header();
          } catch (e) {
            if (e instanceof TraceHeaderError) throw new SegmentError(source.name, e.message);
            throw e;
          }
          const mismatch = CONTINUATION_FIELDS.find((f) => header[f] !== first[f]);
          if (mismatch) {
            await reader.cancel();
            throw new SegmentError(
              source.name,
              `${mismatch} ${JSON.stringify(header[mismatch])} differs from ${JSON.stringify(first[mismatch])} in ${this.sources[0]!.name}: not a segment of the same recording`,
            );
          }
        }
        this.done.push({ name: source.name, header, firstRecord: base, report: reader.report });
        const shift = header.t_mono_start - first.t_mono_start;
        for await (const batch of reader.batches()) {
          const out = new Array<SegmentRecord>(batch.length);
          for (let j = 0; j < batch.length; j++) {
            const r = batch[j]!;
            out[j] = new SegmentRecord(r, base + r.index, shift === 0 ? r.t_mono : r.t_mono + shift, i, source.name);
          }
          yield out;
        }
        base += reader.report.records;
      }
    } finally {
      await this.cancel();
    }
  }

  async *records(): AsyncGenerator<SegmentRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  async cancel(): Promise<void> {
    this.cancelled = true;
    await this.current?.cancel();
  }
}
