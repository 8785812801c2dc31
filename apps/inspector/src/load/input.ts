import { SegmentError, SegmentedTraceReader, TraceHeaderError, TraceReader, mergeTraces, type AlignedRecord, type ParserOptions, type ReadReport, type TraceHeader, type TraceRecord } from '@kvtrace/trace';
import type { FileReport, LoadProgress, TraceInfo } from '../model/session.ts';
import type { SourceSpec, TraceSpec } from './protocol.ts';

/**
 * The records a load reads, whatever was opened: one file (TraceReader straight over its stream,
 * the fast path every single trace takes), or a set (each trace a SegmentedTraceReader over its
 * rotated segments, several traces merged on the wall clock by libs/trace's mergeTraces). Worker
 * side, DOM-free: Blob streams and fetch only. Each record also says its file (the id the store
 * and range reads use: files of all traces in order) and its trace (server).
 */
export interface LoadInput {
  /** The first trace's header (the set's headers: `traces`). */
  header(): Promise<TraceHeader>;
  /** Every trace with its header, once header() has resolved; null for one file. */
  readonly traces: TraceInfo[] | null;
  batches(): AsyncGenerator<readonly TraceRecord[]>;
  fileOf(rec: TraceRecord): number;
  traceOf(rec: TraceRecord): number;
  progress(): LoadProgress;
  /** The one file's report; a set sums its files' (details in fileReports). */
  report(): ReadReport;
  /** Per file, for a set; `stopped`: the load was stopped, files not reached are not "unread" damage. */
  fileReports(argsChecked: boolean, stopped: boolean): FileReport[] | null;
  cancel(): Promise<void>;
}

/** Sees every chunk of every file as it is read, with its file id and the file offset of its first byte. */
export type ChunkTap = (file: number, offset: number, chunk: Uint8Array) => void;

/** `stream` as is, but every chunk shown to `tap` first (the bytes are not copied). */
function tapped(stream: ReadableStream<Uint8Array>, file: number, tap: ChunkTap | undefined): ReadableStream<Uint8Array> {
  if (!tap) return stream;
  let offset = 0;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        tap(file, offset, chunk);
        offset += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  );
}

/** A failure to tell the user: the kind (a TraceHeaderError kind, `network`, `io`) and what happened. */
export class LoadError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

/** Opens a source now: a file's stream, or the GET of a URL (its length from Content-Length). */
export async function openSource(source: SourceSpec, unreachable: (url: string, e: unknown) => string): Promise<{ stream: ReadableStream<Uint8Array>; total: number | null }> {
  if (source.kind === 'file') return { stream: source.file.stream(), total: source.file.size };
  let res: Response;
  try {
    res = await fetch(source.url);
  } catch (e) {
    throw new LoadError('network', unreachable(source.url, e));
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    throw new LoadError('io', `GET ${source.url} failed: HTTP ${res.status}${text ? ` — ${text.slice(0, 200)}` : ''}`);
  }
  const len = res.headers.get('content-length');
  return { stream: res.body, total: len === null ? null : Number(len) };
}

/**
 * A source's stream, opened when it is first read: a rotated recording's later segments are
 * fetched only when reached (every segment fetched at once would hold the browser's few
 * connections per server with bodies nobody reads yet).
 */
export function lazyStream(source: SourceSpec, unreachable: (url: string, e: unknown) => string): ReadableStream<Uint8Array> {
  if (source.kind === 'file') return source.file.stream();
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= (await openSource(source, unreachable)).stream.getReader();
        const r = await reader.read();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      async cancel(reason) {
        await reader?.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

/** A source's length without reading it: the File's, the listing's, else a HEAD; null if unknown. */
export async function sizeOf(source: SourceSpec): Promise<number | null> {
  if (source.kind === 'file') return source.file.size;
  if (source.size !== undefined) return source.size;
  try {
    const res = await fetch(source.rangeUrl, { method: 'HEAD' });
    const len = res.ok ? res.headers.get('content-length') : null;
    return len === null ? null : Number(len);
  } catch {
    return null;
  }
}

/** One file: the reader as before sets existed, so a single trace pays nothing for them. */
export class FileInput implements LoadInput {
  readonly traces = null;
  private readonly reader: TraceReader;

  constructor(stream: ReadableStream<Uint8Array>, options: ParserOptions, tap?: ChunkTap) {
    this.reader = new TraceReader(tapped(stream, 0, tap), options);
  }
  header(): Promise<TraceHeader> {
    return this.reader.header();
  }
  batches(): AsyncGenerator<readonly TraceRecord[]> {
    return this.reader.batches();
  }
  fileOf(): number {
    return 0;
  }
  traceOf(): number {
    return 0;
  }
  progress(): LoadProgress {
    const r = this.reader.report;
    return { bytesRead: r.bytesRead, records: r.records, malformed: r.malformed };
  }
  report(): ReadReport {
    return this.reader.report;
  }
  fileReports(): null {
    return null;
  }
  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

/**
 * Several files: each trace's segments read as one trace, the traces merged on the wall clock. A
 * trace that breaks after its header (a segment that does not continue it, a stream that fails)
 * ends there and is reported on that file; the others are read to their end.
 */
export class SetInput implements LoadInput {
  traces: TraceInfo[] | null = null;
  private readonly readers: SegmentedTraceReader[];
  /** File id of each trace's first file. */
  private readonly base: number[] = [];
  private readonly errors = new Map<number, { file: string; message: string }>();
  /** Per trace, the file opened last: where a stream that breaks broke. */
  private readonly opened: number[];

  constructor(
    private readonly specs: readonly TraceSpec[],
    options: ParserOptions,
    unreachable: (url: string, e: unknown) => string,
    tap?: ChunkTap,
  ) {
    let base = 0;
    this.opened = specs.map(() => 0);
    this.readers = specs.map((t, trace) => {
      this.base.push(base);
      const first = base;
      base += t.files.length;
      return new SegmentedTraceReader(
        t.files.map((f, i) => ({
          name: f.name,
          open: () => {
            this.opened[trace] = i;
            return tapped(lazyStream(f.source, unreachable), first + i, tap);
          },
        })),
        options,
      );
    });
  }

  /** Reads every trace's first header; one that does not read fails the load, naming its file. */
  async header(): Promise<TraceHeader> {
    const headers: TraceHeader[] = [];
    for (const [i, r] of this.readers.entries()) {
      try {
        headers.push(await r.header());
      } catch (e) {
        const name = this.specs[i]!.files[0]!.name;
        if (e instanceof TraceHeaderError || e instanceof LoadError) throw new LoadError(e.kind, `${name}: ${e.message}`);
        throw e;
      }
    }
    this.traces = this.specs.map((t, i) => ({ server: t.server, header: headers[i]!, files: t.files.map((f) => f.name), missing: t.missing }));
    return headers[0]!;
  }

  async *batches(): AsyncGenerator<readonly TraceRecord[]> {
    const inputs = this.readers.map((reader, i) => ({ server: this.specs[i]!.server, reader }));
    yield* mergeTraces(inputs, {
      onError: (trace, e) => {
        const file = e instanceof SegmentError ? e.segment : this.specs[trace]!.files[this.opened[trace]!]!.name;
        this.errors.set(trace, { file, message: e instanceof Error ? e.message : String(e) });
      },
    });
  }

  fileOf(rec: TraceRecord): number {
    const r = rec as AlignedRecord;
    return this.base[r.trace]! + r.segment;
  }
  traceOf(rec: TraceRecord): number {
    return (rec as AlignedRecord).trace;
  }

  progress(): LoadProgress {
    let bytesRead = 0, records = 0, malformed = 0;
    for (const r of this.readers) {
      const t = r.totals;
      bytesRead += t.bytesRead;
      records += t.records;
      malformed += t.malformed;
    }
    return { bytesRead, records, malformed };
  }

  report(): ReadReport {
    const files = this.fileReports(true, false);
    return {
      records: files.reduce((n, f) => n + f.records, 0),
      malformed: files.reduce((n, f) => n + f.malformed, 0),
      malformedFrames: [],
      argDecodeErrors: files.reduce((n, f) => n + (f.argDecodeErrors ?? 0), 0),
      truncated: null,
      bytesRead: files.reduce((n, f) => n + f.bytesRead, 0),
    };
  }

  fileReports(argsChecked: boolean, stopped: boolean): FileReport[] {
    return this.specs.flatMap((t, trace) => {
      const read = this.readers[trace]!.segments;
      const error = this.errors.get(trace);
      return t.files.map((f, i): FileReport => {
        const seg = read[i];
        const failedHere = error !== undefined && error.file === f.name;
        const base = { name: f.name, trace, ...(failedHere ? { error: error.message } : {}) };
        if (!seg) return { ...base, records: 0, bytesRead: 0, malformed: 0, malformedFrames: [], truncated: null, argDecodeErrors: null, ...(failedHere || stopped ? {} : { unread: true }) };
        const r = seg.report;
        return { ...base, records: r.records, bytesRead: r.bytesRead, malformed: r.malformed, malformedFrames: r.malformedFrames, truncated: stopped ? null : r.truncated, argDecodeErrors: argsChecked ? r.argDecodeErrors : null };
      });
    });
  }

  async cancel(): Promise<void> {
    await Promise.all(this.readers.map((r) => r.cancel()));
  }
}
