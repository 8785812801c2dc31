/// <reference lib="webworker" />
import { TraceHeaderError, TraceReader, type TraceRecord } from '@kvtrace/trace';
import type { RecordBatch } from '../model/record-store.ts';
import { FLAG_LIMIT, HISTOGRAM_BINS, REQUEST_LIMIT } from '../model/queries.ts';
import { AnalysisHost } from './analysis-host.ts';
import { ColumnBatcher } from './column-batcher.ts';
import type { MainMessage, OpenRequest, QueryRequest, SourceSpec, WorkerMessage } from './protocol.ts';
import { fileRangeSource, httpRangeSource } from './sources.ts';

/**
 * Parses a trace off the main thread: TraceReader over the source's ReadableStream, records turned
 * into column batches posted as transferable buffers by the ColumnBatcher (first batch at once, then
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

async function open(source: SourceSpec): Promise<{ stream: ReadableStream<Uint8Array>; total: number | null }> {
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

class LoadError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }
}

async function run(req: OpenRequest): Promise<void> {
  const { stream, total } = await open(req.source);
  const checkArgs = req.checkArgs === 'auto' ? total !== null && total <= CHECK_ARGS_MAX_BYTES : req.checkArgs;
  const inline = total === null || total <= INLINE_INDEX_MAX_BYTES;
  const analysis = new AnalysisHost(rangeSourceOf(req.source));
  host = analysis;
  const reader = new TraceReader(stream, { decodeArgs: checkArgs, maxMalformedListed: 200 });
  let stopped = false;
  // Cancelling the stream resolves a pending read as "done", so a live trace waiting for its next
  // chunk stops at once too; the loop below then ends as if the trace ended here.
  stopLoad = () => {
    stopped = true;
    void reader.cancel();
  };
  const header = await reader.header();
  analysis.header = header;
  post({ type: 'header', header, totalBytes: total, argsChecked: checkArgs });

  let known = 0;
  let read = 0;
  const batcher = new ColumnBatcher(
    (batch: RecordBatch) => {
      const r = reader.report;
      post({ type: 'batch', batch, progress: { bytesRead: r.bytesRead, records: r.records, malformed: r.malformed } }, [
        batch.tMono.buffer,
        batch.tWall.buffer,
        batch.method.buffer,
        batch.offset.buffer,
        batch.frameBytes.buffer,
      ]);
      if (inline) post({ type: 'index', progress: { calls: analysis.length, total: null, done: false, secondPass: false } });
    },
    { first: FIRST_BATCH, size: BATCH, flushMs: FLUSH_MS },
  );
  const add = (rec: TraceRecord) => {
    read++;
    const id = analysis.methodId(rec.qualname);
    const isNew = id === known;
    if (isNew) known++;
    if (inline) analysis.add(rec);
    batcher.add(rec.t_mono, rec.t_wall, id, rec.offset, rec.frameBytes, isNew ? rec.qualname : null);
  };

  let streamError: string | undefined;
  try {
    for await (const recs of reader.batches()) {
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
  const r = reader.report;
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
    },
  });
  let error: string | undefined;
  // The table is loaded and stays usable whatever happens to the second pass: report, never fail.
  // After a stop, the second pass indexes just the calls the table has (`read`), not the whole file.
  if (!inline && streamError === undefined) await secondPass(req.source, analysis, read).catch((e: unknown) => void (error = e instanceof Error ? e.message : String(e)));
  analysis.requestReport(FLAG_LIMIT, REQUEST_LIMIT, HISTOGRAM_BINS);
  post({ type: 'index', progress: { calls: analysis.length, total: analysis.length, done: true, secondPass: !inline, error } });
}

/** Reads the source again, decoding arguments into the index; the table is already usable meanwhile. */
async function secondPass(source: SourceSpec, analysis: AnalysisHost, records: number): Promise<void> {
  const { stream } = await open(source);
  const reader = new TraceReader(stream, { decodeArgs: false });
  await reader.header();
  let last = performance.now();
  for await (const recs of reader.batches()) {
    for (let i = 0; i < recs.length && analysis.length < records; i++) analysis.add(recs[i]!);
    // Enough: the rest of the file is not in the table (a cancelled load), do not read it for nothing.
    if (analysis.length >= records) break;
    if (performance.now() - last >= INDEX_PROGRESS_MS) {
      post({ type: 'index', progress: { calls: analysis.length, total: records, done: false, secondPass: true } });
      last = performance.now();
    }
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
