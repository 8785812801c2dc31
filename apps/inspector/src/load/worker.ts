/// <reference lib="webworker" />
import { TraceHeaderError, type ParserOptions, type TraceRecord } from '@kvtrace/trace';
import type { RecordBatch } from '../model/record-store.ts';
import { FLAG_LIMIT, HISTOGRAM_BINS, REQUEST_LIMIT } from '../model/queries.ts';
import { AnalysisHost } from './analysis-host.ts';
import { ColumnBatcher } from './column-batcher.ts';
import { FileInput, LoadError, SetInput, lazyStream, openSource, sizeOf, type LoadInput } from './input.ts';
import type { MainMessage, OpenRequest, QueryRequest, SourceSpec, TraceSpec, WorkerMessage } from './protocol.ts';
import { fileRangeSource, httpRangeSource } from './sources.ts';

/**
 * Parses a trace off the main thread: a LoadInput over the sources' ReadableStreams (one file, or
 * a set of rotated segments and servers merged on the wall clock: input.ts), records turned into
 * column batches posted as transferable buffers by the ColumnBatcher (first batch at once, then
 * at most every FLUSH_MS, and what a quiet live stream holds back by a timer).
 * The worker then stays alive as the trace's analyzer (AnalysisHost) and answers queries.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const FLUSH_MS = 100;
const FIRST_BATCH = 2048;
const BATCH = 65536;
/** Up to this size, every argument is decoded while loading so unknown tags are counted up front. */
const CHECK_ARGS_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Up to this size the call index is built while loading. Indexing decodes every argument (about 6 µs
 * a record with 4 keys, ~5x the parse), so a bigger file shows its table first and is indexed in a
 * second pass. Live traces (no length) are indexed inline: they arrive slower than they index.
 */
const INLINE_INDEX_MAX_BYTES = 64 * 1024 * 1024;
const INDEX_PROGRESS_MS = 200;

const post = (m: WorkerMessage, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

let host: AnalysisHost | null = null;
/** Stops the running load (a `stop` message): set while one reads, cleared when it ends. */
let stopLoad: (() => void) | null = null;

/** Range reads go to the plain trace URL: `?follow=1` streams, it does not serve ranges. */
const rangeSourceOf = (s: SourceSpec) => (s.kind === 'file' ? fileRangeSource(s.file) : httpRangeSource(s.rangeUrl));

/**
 * Why a fetch failed with no HTTP answer. Browsers hide the cause on purpose (a CORS refusal and a
 * refused connection look the same to the page: "TypeError: Failed to fetch"), so say both, and
 * what to do about each.
 */
function unreachable(url: string, e: unknown): string {
  const detail = e instanceof Error ? e.message : String(e);
  const here = scope.location.origin;
  let there = here;
  try {
    there = new URL(url, scope.location.href).origin;
  } catch {
    /* a malformed address is reported as such below */
  }
  if (there !== here) {
    return (
      `Could not read ${url} (${detail}). The browser blocked the request or could not reach ${there}. ` +
      `Reading a trace from another site needs that server to allow this page: it must answer with ` +
      `"Access-Control-Allow-Origin: ${here}" (or "*") and, for arguments read back by range, allow the Range header ` +
      `(CORS; the browser's console names the exact refusal). Otherwise download the file and drop it here.`
    );
  }
  return `Could not read ${url} (${detail}): the server did not answer. Is it still running?`;
}

/**
 * Opens what the request names: one file through the fast path (its stream opened now, so a URL's
 * Content-Length sizes it), or a set (rotated segments, several servers) whose files open as they
 * are reached and whose size is the sum of theirs (unknown if one is).
 */
async function openInput(traces: readonly TraceSpec[], decide: (total: number | null) => ParserOptions): Promise<{ input: LoadInput; total: number | null; options: ParserOptions }> {
  const files = traces.flatMap((t) => t.files);
  if (files.length === 1) {
    const { stream, total } = await openSource(files[0]!.source, unreachable);
    const options = decide(total);
    return { input: new FileInput(stream, options), total, options };
  }
  const sizes = await Promise.all(files.map((f) => sizeOf(f.source)));
  const total = sizes.some((n) => n === null) ? null : sizes.reduce<number>((a, n) => a + n!, 0);
  const options = decide(total);
  return { input: new SetInput(traces, options, unreachable), total, options };
}

/** The same records again (the second pass): a fresh read of the same files, in the same order. */
function reopen(traces: readonly TraceSpec[], first: LoadInput, options: ParserOptions): LoadInput {
  if (first instanceof SetInput) return new SetInput(traces, options, unreachable);
  return new FileInput(lazyStream(traces[0]!.files[0]!.source, unreachable), options);
}

async function run(req: OpenRequest): Promise<void> {
  const files = req.traces.flatMap((t) => t.files);
  let checkArgs = false;
  let inline = true;
  const { input, total } = await openInput(req.traces, (total) => {
    checkArgs = req.checkArgs === 'auto' ? total !== null && total <= CHECK_ARGS_MAX_BYTES : req.checkArgs;
    inline = total === null || total <= INLINE_INDEX_MAX_BYTES;
    return { decodeArgs: checkArgs, maxMalformedListed: 200 };
  });
  const analysis = new AnalysisHost(
    files.map((f) => rangeSourceOf(f.source)),
    req.traces.map((t) => t.server),
  );
  host = analysis;
  let stopped = false;
  // Cancelling the streams resolves a pending read as "done", so a live trace waiting for its next
  // chunk stops at once too; the loop below then ends as if the trace ended here.
  stopLoad = () => {
    stopped = true;
    void input.cancel();
  };
  const header = await input.header();
  analysis.header = header;
  const traces = input.traces;
  post({ type: 'header', header, totalBytes: total, argsChecked: checkArgs, ...(traces ? { traces } : {}) });

  let known = 0;
  let read = 0;
  const several = files.length > 1;
  const batcher = new ColumnBatcher(
    (batch: RecordBatch) => {
      const transfer: Transferable[] = [batch.tMono.buffer, batch.tWall.buffer, batch.method.buffer, batch.offset.buffer, batch.frameBytes.buffer];
      if (batch.file) transfer.push(batch.file.buffer);
      post({ type: 'batch', batch, progress: input.progress() }, transfer);
      if (inline) post({ type: 'index', progress: { calls: analysis.length, total: null, done: false, secondPass: false } });
    },
    { first: FIRST_BATCH, size: BATCH, flushMs: FLUSH_MS, files: several },
  );
  const add = (rec: TraceRecord) => {
    read++;
    const id = analysis.methodId(rec.qualname);
    const isNew = id === known;
    if (isNew) known++;
    const file = input.fileOf(rec);
    if (inline) analysis.add(rec, file, input.traceOf(rec));
    batcher.add(rec.t_mono, rec.t_wall, id, rec.offset, rec.frameBytes, isNew ? rec.qualname : null, file);
  };

  let streamError: string | undefined;
  try {
    for await (const recs of input.batches()) {
      if (stopped) break;
      for (let i = 0; i < recs.length; i++) add(recs[i]!);
      if (stopped) break;
      batcher.endChunk();
    }
  } catch (e) {
    // A network stream can break after the header (a live trace's server stopped): keep what came.
    if (e instanceof TraceHeaderError) throw e;
    if (!stopped) streamError = e instanceof Error ? e.message : String(e);
  }
  stopLoad = null;
  batcher.flush();
  batcher.dispose();
  const r = input.report();
  const fileReports = input.fileReports(checkArgs, stopped);
  post({
    type: 'done',
    report: {
      bytesRead: r.bytesRead,
      records: r.records,
      malformed: r.malformed,
      malformedFrames: r.malformedFrames,
      // A stop cuts the stream mid-frame: that is not a truncated file.
      truncated: stopped ? null : r.truncated,
      argDecodeErrors: checkArgs && !stopped ? r.argDecodeErrors : null,
      ...(streamError === undefined ? {} : { streamError }),
      ...(stopped ? { cancelled: true } : {}),
      ...(fileReports ? { files: fileReports } : {}),
    },
  });
  let error: string | undefined;
  // The table is loaded and stays usable whatever happens to the second pass: report, never fail.
  // After a stop, the second pass indexes just the calls the table has (`read`), not the whole file.
  if (!inline && streamError === undefined) {
    const again = reopen(req.traces, input, { decodeArgs: false });
    await secondPass(again, analysis, read).catch((e: unknown) => void (error = e instanceof Error ? e.message : String(e)));
  }
  analysis.complete = true;
  analysis.requestReport(FLAG_LIMIT, REQUEST_LIMIT, HISTOGRAM_BINS);
  post({ type: 'index', progress: { calls: analysis.length, total: analysis.length, done: true, secondPass: !inline, error } });
}

/** Reads the source again, decoding arguments into the index; the table is already usable meanwhile. */
async function secondPass(input: LoadInput, analysis: AnalysisHost, records: number): Promise<void> {
  await input.header();
  let last = performance.now();
  try {
    for await (const recs of input.batches()) {
      for (let i = 0; i < recs.length && analysis.length < records; i++) analysis.add(recs[i]!, input.fileOf(recs[i]!), input.traceOf(recs[i]!));
      // Enough: the rest of the file is not in the table (a cancelled load), do not read it for nothing.
      if (analysis.length >= records) break;
      if (performance.now() - last >= INDEX_PROGRESS_MS) {
        post({ type: 'index', progress: { calls: analysis.length, total: records, done: false, secondPass: true } });
        last = performance.now();
      }
    }
  } finally {
    await input.cancel();
  }
}

async function answer(q: QueryRequest): Promise<void> {
  if (!host) {
    post({ type: 'answer', id: q.id, ok: false, message: 'no trace is open' });
    return;
  }
  try {
    const { answer, transfer } = await host.handle(q.req);
    post({ type: 'answer', id: q.id, ok: true, answer }, transfer);
  } catch (e) {
    post({ type: 'answer', id: q.id, ok: false, message: e instanceof Error ? e.message : String(e) });
  }
}

scope.onmessage = (e: MessageEvent<MainMessage>) => {
  const m = e.data;
  if (m.type === 'query') {
    void answer(m);
    return;
  }
  if (m.type === 'stop') {
    stopLoad?.();
    return;
  }
  run(m).catch((err: unknown) => {
    if (err instanceof TraceHeaderError || err instanceof LoadError) post({ type: 'failed', error: { kind: err.kind, message: err.message } });
    else post({ type: 'failed', error: { kind: 'io', message: err instanceof Error ? err.message : String(err) } });
  });
};
