import { ShardMerger, TraceHeaderError, WideningColumn, opensSpan, partBytes, type ParserOptions, type TraceRecord } from '@kvtrace/trace';
import type { RecordBatch } from '../model/record-store.ts';
import type { RangeSource } from '../model/args-cache.ts';
import { FLAG_LIMIT, HISTOGRAM_BINS, REQUEST_LIMIT } from '../model/queries.ts';
import { AnalysisHost, type FrameLookup } from './analysis-host.ts';
import { ColumnBatcher } from './column-batcher.ts';
import { ChunkWindow } from './chunk-window.ts';
import { FileInput, SetInput, lazyStream, openSource, sizeOf, type ChunkTap, type LoadInput } from './input.ts';
import type { OpenRequest, ShardRequest, ShardSource, SourceSpec, TraceSpec, WorkerMessage } from './protocol.ts';
import { UnitPlanner } from './shard-plan.ts';
import { ShardPool, type ShardPortFactory } from './shards.ts';

const FLUSH_MS = 100;
const FIRST_BATCH = 2048;
const BATCH = 65536;
/** Up to this size, every argument is decoded while loading so unknown tags are counted up front. */
const CHECK_ARGS_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Up to this size the call index is built while loading. Indexing reads every argument (about 6 µs
 * a record with 4 keys, ~5x the parse), so a bigger file shows its table first and is indexed by
 * shard workers from the frame offsets the load found. Live traces (no length) are indexed inline:
 * they arrive slower than they index.
 */
const INLINE_INDEX_MAX_BYTES = 64 * 1024 * 1024;
const INDEX_PROGRESS_MS = 200;
/** A shard unit: this many bytes or records of one file, whichever comes first. */
const UNIT_BYTES = 16 * 1024 * 1024;
const UNIT_RECORDS = 65536;
/** Calls the merge adds between two looks at the worker's messages (queries, parts, stop). */
const MERGE_STEP = 16384;
/**
 * Bytes of units handed to shards and not yet indexed, at most: beyond, a unit is sent without its
 * bytes and its shard reads them from the file itself (after the reading pass: see ShardPool).
 */
const MAX_BYTES_IN_FLIGHT = 128 * 1024 * 1024;
/** Bytes of parts waiting for the merge beyond which it runs during the reading pass too. */
const MAX_PARTS_WAITING = 256 * 1024 * 1024;

/** What the load needs from the worker it runs in (worker.ts; tests run it in-process). */
export interface LoadEnv {
  post(m: WorkerMessage, transfer?: Transferable[]): void;
  /** Why a fetch failed with no HTTP answer (see worker.ts). */
  unreachable(url: string, e: unknown): string;
  rangeSource(s: SourceSpec): RangeSource;
  /** Shard workers for a big file's index, and how many; null: index in a second pass here. */
  /**
   * Shard workers for a big file's index, and how many; `duringRead`: how many may run while the
   * reading pass does (default all; 0: none, their units wait for the end of the table). Null:
   * index in a second pass here.
   */
  shards: { make: ShardPortFactory; count: number; duringRead?: number } | null;
  /** Frames of calls, from the main thread's record store (a sharded index keeps none here). */
  lookUpFrames: FrameLookup;
  /** The analysis the load builds, once it exists (queries go to it). */
  onHost(host: AnalysisHost): void;
  /** How to stop the running load (a `stop` message), or null once it has ended. */
  onStop(stop: (() => void) | null): void;
  /** Other sizes than the defaults (tests: a small file through the sharded path, in small units). */
  limits?: { inlineIndexMaxBytes?: number; unitBytes?: number; unitRecords?: number };
}

/**
 * Opens what the request names: one file through the fast path (its stream opened now, so a URL's
 * Content-Length sizes it), or a set (rotated segments, several servers) whose files open as they
 * are reached and whose size is the sum of theirs (unknown if one is).
 */
async function openInput(env: LoadEnv, traces: readonly TraceSpec[], decide: (total: number | null) => ParserOptions, tap: ChunkTap): Promise<{ input: LoadInput; total: number | null }> {
  const files = traces.flatMap((t) => t.files);
  if (files.length === 1) {
    const { stream, total } = await openSource(files[0]!.source, env.unreachable);
    return { input: new FileInput(stream, decide(total), tap), total };
  }
  const sizes = await Promise.all(files.map((f) => sizeOf(f.source)));
  const total = sizes.some((n) => n === null) ? null : sizes.reduce<number>((a, n) => a + n!, 0);
  // The merge of several traces holds records across chunks: never recycled.
  return { input: new SetInput(traces, { ...decide(total), recycleRecords: false }, env.unreachable, tap), total };
}

/** The same records again (the second pass): a fresh read of the same files, in the same order. */
function reopen(env: LoadEnv, traces: readonly TraceSpec[], first: LoadInput): LoadInput {
  const options = { decodeArgs: false };
  if (first instanceof SetInput) return new SetInput(traces, options, env.unreachable);
  return new FileInput(lazyStream(traces[0]!.files[0]!.source, env.unreachable), options);
}

/** Where a shard reads a file: the File itself, or the plain trace URL (ranges, never `?follow=1`). */
const shardSource = (s: SourceSpec): ShardSource => (s.kind === 'file' ? { kind: 'file', file: s.file } : { kind: 'url', url: s.rangeUrl });

/** Lets the worker's event loop run (queries, parts, a stop) between two steps of a long merge. */
const yieldToEvents = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/**
 * The load a worker runs for an OpenRequest: the reading pass (records to column batches, posted to
 * the page), then the index. A small or live trace is indexed while it is read. A big file's
 * records are cut into units as they are read (UnitPlanner: runs of whole frames, from the offsets
 * the reading pass finds), which shard workers index from the bytes in parallel while the reading
 * goes on; the parts are merged in trace order once the table is complete (ShardMerger: ids
 * renumbered, the request tracker fed call by call from the parts' columns). If shards cannot run
 * or fail, the rest is indexed by a second read here, as before shards existed.
 */
export async function runLoad(req: OpenRequest, env: LoadEnv): Promise<void> {
  const files = req.traces.flatMap((t) => t.files);
  // Shards running beside the reading pass take their units' bytes from its chunks (windows).
  const shardsDuringRead = env.shards === null ? 0 : (env.shards.duringRead ?? env.shards.count);
  let checkArgs = false;
  let inline = true;
  // A big file's bytes, as read, for the shard units (the reading pass keeps what its open units need).
  const windows = files.map(() => new ChunkWindow());
  const { input, total } = await openInput(
    env,
    req.traces,
    (total) => {
      checkArgs = req.checkArgs === 'auto' ? total !== null && total <= CHECK_ARGS_MAX_BYTES : req.checkArgs;
      inline = total === null || total <= (env.limits?.inlineIndexMaxBytes ?? INLINE_INDEX_MAX_BYTES);
      // A big file's reading pass copies what it needs of each record (columns, unit plan): its
      // record objects are reused (for the 1M-call bench file they were 186 B of garbage a call,
      // apps/inspector/bench/garbage.ts). Small and live traces keep fresh records: little to gain there.
      return { decodeArgs: checkArgs, maxMalformedListed: 200, recycleRecords: !inline };
    },
    (file, offset, chunk) => {
      if (!inline && shardsDuringRead > 0) windows[file]!.push(offset, chunk);
    },
  );
  const servers = req.traces.map((t) => t.server);
  const analysis = new AnalysisHost(
    files.map((f) => env.rangeSource(f.source)),
    servers,
  );
  env.onHost(analysis);
  let stopped = false;
  // Cancelling the streams resolves a pending read as "done", so a live trace waiting for its next
  // chunk stops at once too; the loop below then ends as if the trace ended here.
  env.onStop(() => {
    stopped = true;
    void input.cancel();
  });
  const header = await input.header();
  analysis.header = header;
  const traces = input.traces;
  env.post({ type: 'header', header, totalBytes: total, argsChecked: checkArgs, ...(traces ? { traces } : {}) });

  const several = files.length > 1;
  const sharded = inline ? null : startShards(env, req, analysis, traces?.map((t) => t.header.t_wall_start) ?? [0], windows, shardsDuringRead);
  let known = 0;
  let read = 0;
  let sent = 0;
  // Calls that may open a request span (prefetches, reservations): the merge reserves that many.
  let spanCalls = 0;
  const spanOpener: boolean[] = [];
  const batcher = new ColumnBatcher(
    (batch: RecordBatch) => {
      const transfer: Transferable[] = [batch.tMono.buffer, batch.method.buffer, batch.offset.buffer, batch.frameBytes.buffer];
      if (batch.file) transfer.push(batch.file.buffer);
      const progress = input.progress();
      sent += batch.count;
      // The store sizes itself once from this (records so far, scaled to the whole size). One file:
      // from where the last record sent ends, not the bytes read, which run ahead of the records
      // parsed (a read-ahead made the first estimate of the 1M-call bench file 7% short, and the
      // store then grew by a copy of every column, left as garbage).
      const consumed = several || batch.count === 0 ? progress.bytesRead : batch.offset[batch.count - 1]! + batch.frameBytes[batch.count - 1]!;
      const records = several ? progress.records : sent;
      if (total !== null && consumed > 0 && records > 0) batch.expected = Math.ceil((records * total) / consumed);
      env.post({ type: 'batch', batch, progress }, transfer);
      if (inline) env.post({ type: 'index', progress: { calls: analysis.length, total: null, done: false, secondPass: false } });
    },
    { first: FIRST_BATCH, size: BATCH, flushMs: FLUSH_MS, files: several },
  );
  const add = (rec: TraceRecord) => {
    read++;
    const id = analysis.methodId(rec.qualname);
    const isNew = id === known;
    if (isNew) {
      known++;
      spanOpener[id] = opensSpan(analysis.analyzer.index.methods.role(id));
    }
    if (spanOpener[id]) spanCalls++;
    const file = input.fileOf(rec);
    if (inline) analysis.add(rec, file, input.traceOf(rec));
    else sharded?.add(rec, file, input.traceOf(rec));
    batcher.add(rec.t_mono, id, rec.offset, rec.frameBytes, isNew ? rec.qualname : null, file);
  };

  let streamError: string | undefined;
  try {
    for await (const recs of input.batches()) {
      if (stopped) break;
      for (let i = 0; i < recs.length; i++) add(recs[i]!);
      if (stopped) break;
      batcher.endChunk();
      sharded?.between(read);
    }
  } catch (e) {
    // A network stream can break after the header (a live trace's server stopped): keep what came.
    if (e instanceof TraceHeaderError) throw e;
    if (!stopped) streamError = e instanceof Error ? e.message : String(e);
  }
  env.onStop(null);
  batcher.flush();
  batcher.dispose();
  const r = input.report();
  const fileReports = input.fileReports(checkArgs, stopped);
  env.post({
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
  // The table is loaded and stays usable whatever happens to the index: report, never fail.
  // After a stop, only the calls the table has (`read`) are indexed, not the whole file.
  if (!inline) {
    const failed = sharded ? await sharded.finish(read, spanCalls) : 'no shard workers';
    if (failed !== null && streamError === undefined) {
      // Shards could not index everything: the rest by a second read here, from where the merge stopped.
      await secondPass(env, reopen(env, req.traces, input), analysis, read).catch((e: unknown) => void (error = e instanceof Error ? e.message : String(e)));
    } else if (failed !== null) error = failed;
    analysis.analyzer.trim();
  }
  analysis.complete = true;
  analysis.requestReport(FLAG_LIMIT, REQUEST_LIMIT, HISTOGRAM_BINS);
  env.post({ type: 'index', progress: { calls: analysis.length, total: analysis.length, done: true, secondPass: !inline, error } });
}

interface ShardedIndex {
  /** A record of the reading pass (in order). */
  add(rec: TraceRecord, file: number, trace: number): void;
  /** Between two batches of the reading pass (`read` records so far): merges if parts pile up. */
  between(read: number): void;
  /**
   * The reading pass read `records` records, `spanCalls` of them calls that may open a request span:
   * merges them all; resolves with null, or why shards failed.
   */
  finish(records: number, spanCalls: number): Promise<string | null>;
}

/**
 * The sharded index of a big file: units planned from the reading pass's records and indexed by the
 * shard workers as soon as planned, their bytes handed over from the reading pass's own chunks (up
 * to MAX_BYTES_IN_FLIGHT; a unit beyond that is read from the file by its shard once the reading
 * pass is over, so the two never read at once). The parts are merged into the host's analyzer in
 * trace order after the reading pass (the merge is the one step that cannot run in parallel, and
 * in this thread it would slow the table), or during it when parts waiting pass MAX_PARTS_WAITING
 * (a production-size file: memory stays bounded). Frames are then looked up in the main thread's
 * store.
 */
function startShards(env: LoadEnv, req: OpenRequest, host: AnalysisHost, wallStarts: readonly number[], windows: ChunkWindow[], duringRead: number): ShardedIndex | null {
  if (env.shards === null) return null;
  const files = req.traces.flatMap((t) => t.files.map((f) => f.source));
  const several = req.traces.length > 1;
  const origin = Math.min(...wallStarts);
  let partsWaiting = 0;
  const merger = new ShardMerger(host.analyzer, host.servers, several ? wallStarts.map((w) => w - origin) : [0], (part) => {
    partsWaiting -= partBytes(part);
  });
  // The trace of each call, when several are merged (the merge order is the reading pass's).
  const traceOfCall = several ? new WideningColumn(1 << 16) : null;
  let failure: string | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  // Units planned and parts received: once the plan is complete and every part is in, the shard
  // workers are done, and terminated at once (their heaps are memory the merge does not need).
  let planned = 0, received = 0, planDone = false;
  /** Bytes handed to shards with their units and not yet back as parts, by unit id. */
  const inFlight = new Map<number, number>();
  let bytesInFlight = 0;
  /** Units to read from the file by their shards, once the reading pass is over. */
  const deferred: ShardRequest[] = [];
  const pool = new ShardPool(
    env.shards.count,
    env.shards.make,
    (m) => {
      received++;
      bytesInFlight -= inFlight.get(m.id) ?? 0;
      inFlight.delete(m.id);
      if (planDone && received === planned) pool.close();
      if (m.type === 'error') failure ??= m.message;
      else if (m.trailingBytes !== 0) failure ??= `a shard's bytes did not end on a frame (${m.trailingBytes} bytes over)`;
      else {
        try {
          merger.deliver(m.id, m.part);
          partsWaiting += partBytes(m.part);
        } catch (e) {
          failure ??= e instanceof Error ? e.message : String(e);
        }
      }
      notify();
    },
    (message) => {
      failure ??= `a shard worker failed: ${message}`;
      notify();
    },
  );
  // The reading pass is the table the user waits for: shards run beside it only where cores are
  // left over (worker.ts), or their units wait for its end and read their bytes from the file.
  if (duringRead > 0) pool.setActive(duringRead);
  const planner = new UnitPlanner(req.traces.length, { maxBytes: env.limits?.unitBytes ?? UNIT_BYTES, maxRecords: env.limits?.unitRecords ?? UNIT_RECORDS }, (u) => {
    const id = merger.plan(u.trace, u.firstRecord, u.count);
    planned++;
    const w = windows[u.file]!;
    const bytes = duringRead > 0 && bytesInFlight + (u.end - u.start) <= MAX_BYTES_IN_FLIGHT ? w.take(u.start, u.end) : (w.drop(u.end), null);
    const unit: ShardRequest = { type: 'unit', id, source: shardSource(files[u.file]!), start: u.start, end: u.end };
    if (bytes === null) {
      deferred.push(unit);
      return;
    }
    inFlight.set(id, bytes.length);
    bytesInFlight += bytes.length;
    pool.submit({ ...unit, bytes });
  });
  host.lookUpFrames(env.lookUpFrames);
  return {
    add(rec, file, trace) {
      planner.add(trace, file, rec.offset, rec.frameBytes, rec.index);
      traceOfCall?.push(trace);
    },
    between(read) {
      if (partsWaiting > MAX_PARTS_WAITING && failure === null) merger.advance(Math.min(read, merger.calls + MERGE_STEP), traceOfCall?.data);
    },
    async finish(records, spanCalls) {
      planner.flush();
      planDone = true;
      pool.setActive(Infinity);
      for (const u of deferred) pool.submit(u);
      deferred.length = 0;
      if (received === planned) pool.close();
      host.analyzer.reserve(records, spanCalls);
      let last = performance.now();
      while (merger.calls < records && failure === null) {
        const before = merger.calls;
        merger.advance(Math.min(records, before + MERGE_STEP), traceOfCall?.data);
        if (performance.now() - last >= INDEX_PROGRESS_MS) {
          env.post({ type: 'index', progress: { calls: merger.calls, total: records, done: false, secondPass: true } });
          last = performance.now();
        }
        if (merger.calls === before) await new Promise<void>((r) => (wake = r));
        else await yieldToEvents();
      }
      pool.close();
      return failure;
    },
  };
}

/** Reads the source again, indexing the records the analysis does not have yet; the table is usable meanwhile. */
async function secondPass(env: LoadEnv, input: LoadInput, analysis: AnalysisHost, records: number): Promise<void> {
  await input.header();
  let last = performance.now();
  let seen = 0;
  try {
    for await (const recs of input.batches()) {
      for (let i = 0; i < recs.length && analysis.length < records; i++, seen++) if (seen >= analysis.length) analysis.add(recs[i]!, input.fileOf(recs[i]!), input.traceOf(recs[i]!));
      // Enough: the rest of the file is not in the table (a cancelled load), do not read it for nothing.
      if (analysis.length >= records) break;
      if (performance.now() - last >= INDEX_PROGRESS_MS) {
        env.post({ type: 'index', progress: { calls: analysis.length, total: records, done: false, secondPass: true } });
        last = performance.now();
      }
    }
  } finally {
    await input.cancel();
  }
}
