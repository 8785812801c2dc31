/// <reference lib="webworker" />
import { TraceHeaderError, TraceReader, type TraceRecord } from '@kvtrace/trace';
import type { RecordBatch } from '../model/record-store.ts';
import type { OpenRequest, SourceSpec, WorkerMessage } from './protocol.ts';

/**
 * Parses a trace off the main thread: TraceReader over the source's ReadableStream, records turned
 * into column batches posted as transferable buffers. The first batch goes out as soon as it exists
 * (time to first row); later ones at most every FLUSH_MS, so the UI re-renders a few times a second.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
const FLUSH_MS = 100;
const FIRST_BATCH = 2048;
const BATCH = 65536;
/** Up to this size, every argument is decoded while loading so unknown tags are counted up front. */
const CHECK_ARGS_MAX_BYTES = 64 * 1024 * 1024;

const post = (m: WorkerMessage, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

class Columns {
  count = 0;
  readonly tMono: Float64Array;
  readonly tWall: Float64Array;
  readonly method: Uint16Array;
  readonly offset: Float64Array;
  readonly frameBytes: Uint32Array;
  constructor(readonly capacity: number) {
    this.tMono = new Float64Array(capacity);
    this.tWall = new Float64Array(capacity);
    this.method = new Uint16Array(capacity);
    this.offset = new Float64Array(capacity);
    this.frameBytes = new Uint32Array(capacity);
  }
}

async function open(source: SourceSpec): Promise<{ stream: ReadableStream<Uint8Array>; total: number | null }> {
  if (source.kind === 'file') return { stream: source.file.stream(), total: source.file.size };
  const res = await fetch(source.url);
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    throw new LoadError('io', `GET ${source.url} failed: HTTP ${res.status}${text ? ` — ${text.slice(0, 200)}` : ''}`);
  }
  const len = res.headers.get('content-length');
  return { stream: res.body, total: len === null ? null : Number(len) };
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
  const reader = new TraceReader(stream, { decodeArgs: checkArgs, maxMalformedListed: 200 });
  const header = await reader.header();
  post({ type: 'header', header, totalBytes: total, argsChecked: checkArgs });

  const methodIds = new Map<string, number>();
  let newMethods: string[] = [];
  let cols = new Columns(FIRST_BATCH);
  let lastFlush = -Infinity;
  const flush = () => {
    const c = cols;
    const batch: RecordBatch = { count: c.count, tMono: c.tMono, tWall: c.tWall, method: c.method, offset: c.offset, frameBytes: c.frameBytes, newMethods };
    const r = reader.report;
    post({ type: 'batch', batch, progress: { bytesRead: r.bytesRead, records: r.records, malformed: r.malformed } }, [
      c.tMono.buffer,
      c.tWall.buffer,
      c.method.buffer,
      c.offset.buffer,
      c.frameBytes.buffer,
    ]);
    newMethods = [];
    cols = new Columns(BATCH);
    lastFlush = performance.now();
  };
  const add = (rec: TraceRecord) => {
    let id = methodIds.get(rec.qualname);
    if (id === undefined) {
      id = methodIds.size;
      methodIds.set(rec.qualname, id);
      newMethods.push(rec.qualname);
    }
    const c = cols;
    const i = c.count++;
    c.tMono[i] = rec.t_mono;
    c.tWall[i] = rec.t_wall;
    c.method[i] = id;
    c.offset[i] = rec.offset;
    c.frameBytes[i] = rec.frameBytes;
    if (c.count === c.capacity) flush();
  };

  for await (const recs of reader.batches()) {
    for (let i = 0; i < recs.length; i++) add(recs[i]!);
    if (cols.count > 0 && performance.now() - lastFlush >= FLUSH_MS) flush();
  }
  flush();
  const r = reader.report;
  post({
    type: 'done',
    report: {
      bytesRead: r.bytesRead,
      records: r.records,
      malformed: r.malformed,
      malformedFrames: r.malformedFrames,
      truncated: r.truncated,
      argDecodeErrors: checkArgs ? r.argDecodeErrors : null,
    },
  });
}

scope.onmessage = (e: MessageEvent<OpenRequest>) => {
  run(e.data).catch((err: unknown) => {
    if (err instanceof TraceHeaderError || err instanceof LoadError) post({ type: 'failed', error: { kind: err.kind, message: err.message } });
    else post({ type: 'failed', error: { kind: 'io', message: err instanceof Error ? err.message : String(err) } });
  });
};
