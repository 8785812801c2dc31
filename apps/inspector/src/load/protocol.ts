import type { TraceHeader } from '@kvtrace/trace';
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

export type MainMessage = OpenRequest | QueryRequest | StopRequest;

/** Worker → main thread. */
export type WorkerMessage =
  /** `traces`: every trace's first header, when several files are open (absent: one file). */
  | { type: 'header'; header: TraceHeader; totalBytes: number | null; argsChecked: boolean; traces?: TraceInfo[] }
  | { type: 'batch'; batch: RecordBatch; progress: LoadProgress }
  | { type: 'done'; report: FinalReport }
  | { type: 'failed'; error: LoadFailure }
  | { type: 'index'; progress: IndexProgress }
  | { type: 'answer'; id: number; ok: true; answer: AnswerOf[keyof AnswerOf] }
  | { type: 'answer'; id: number; ok: false; message: string };
