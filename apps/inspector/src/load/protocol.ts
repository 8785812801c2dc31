import type { CallIndexPart, TraceHeader } from '@kvtrace/trace';
import type { AnalysisRequest, AnswerOf, IndexProgress } from '../model/queries.ts';

export type { IndexProgress };
import type { FinalReport, LoadFailure, LoadProgress, TraceInfo } from '../model/session.ts';
import type { RecordBatch } from '../model/record-store.ts';

/**
 * `rangeUrl`: where arguments are read back by Range (a follow stream's URL serves no ranges).
 * `size`: the file's length when the opener knows it (the server's listing), for progress.
 */
export type SourceSpec = { kind: 'file'; file: Blob } | { kind: 'url'; url: string; rangeUrl: string; size?: number };

/** One file of a trace: its name (messages, the header panel) and where its bytes are. */
export interface FileSpec {
  name: string;
  source: SourceSpec;
}

/**
 * One trace of the set: a server's recording, one file or its rotated segments in order. The
 * files of all traces, in order, are the file ids of the load (RecordBatch.file, range reads).
 */
export interface TraceSpec {
  server: string;
  files: FileSpec[];
  /** Segment names missing from the set (between its first and last), said in the header panel. */
  missing: string[];
}

/**
 * Main thread → worker. Replacing a trace is `worker.terminate()`; cancelling one is `StopRequest`,
 * so the worker keeps (and finishes indexing) the calls read so far and analysis keeps working.
 */
export interface OpenRequest {
  type: 'open';
  /** One trace of one file, a rotated recording, or several traces lined up on the wall clock. */
  traces: TraceSpec[];
  /** Decode every record's arguments while reading, to count unknown tags (small files only). */
  checkArgs: boolean | 'auto';
}

/** Main thread → worker: a question for the analyzer of the trace this worker opened. */
export interface QueryRequest {
  type: 'query';
  id: number;
  req: AnalysisRequest;
}

/**
 * Main thread → worker: stop reading (Cancel, or Stop on a live trace). The worker posts `done` with
 * a cancelled report, indexes what it has read, then posts `index {done: true}`; queries keep working.
 */
export interface StopRequest {
  type: 'stop';
}

/**
 * Main thread → worker: where some calls' frames are (offset, size, file), from the record store,
 * answering the worker's FramesRequest. A big file's index is built by shard workers from byte
 * ranges, so the loading worker keeps no per-call frame table of its own: the store has one.
 */
export type FramesAnswer =
  | { type: 'frames'; id: number; ok: true; offset: Float64Array; frameBytes: Uint32Array; file: Uint16Array | null }
  | { type: 'frames'; id: number; ok: false; message: string };

export type MainMessage = OpenRequest | QueryRequest | StopRequest | FramesAnswer;

/** Worker → main thread. */
export type WorkerMessage =
  /** `traces`: every trace's first header, when several files are open (absent: one file). */
  | { type: 'header'; header: TraceHeader; totalBytes: number | null; argsChecked: boolean; traces?: TraceInfo[] }
  | { type: 'batch'; batch: RecordBatch; progress: LoadProgress }
  | { type: 'done'; report: FinalReport }
  | { type: 'failed'; error: LoadFailure }
  | { type: 'index'; progress: IndexProgress }
  | { type: 'answer'; id: number; ok: true; answer: AnswerOf[keyof AnswerOf] }
  | { type: 'answer'; id: number; ok: false; message: string }
  /** Where calls' frames are (for an export): answered by a FramesAnswer with the same id. */
  | { type: 'frames'; id: number; calls: Uint32Array };

/** Where a shard reads its bytes: the dropped File, or the trace's URL with a Range request. */
export type ShardSource = { kind: 'file'; file: Blob } | { kind: 'url'; url: string };

/**
 * Loading worker → shard worker: index the records in bytes [start, end) of a source (a run of
 * whole frames): `bytes` when the reading pass hands them over (transferred), else read from `source`.
 */
export interface ShardRequest {
  type: 'unit';
  id: number;
  source: ShardSource;
  start: number;
  end: number;
  bytes?: Uint8Array;
}

/** Shard worker → loading worker: a unit's part (its buffers transferred), or why it could not be made. */
export type ShardMessage =
  | { type: 'part'; id: number; part: CallIndexPart; malformed: number; trailingBytes: number }
  | { type: 'error'; id: number; message: string };
