import type { TraceHeader } from '@kvtrace/trace';
import type { AnalysisRequest, AnswerOf, IndexProgress } from '../model/queries.ts';

export type { IndexProgress };
import type { FinalReport, LoadFailure, LoadProgress } from '../model/session.ts';
import type { RecordBatch } from '../model/record-store.ts';

/** `rangeUrl`: where arguments are read back by Range (a follow stream's URL serves no ranges). */
export type SourceSpec = { kind: 'file'; file: Blob } | { kind: 'url'; url: string; rangeUrl: string };

/**
 * Main thread → worker. Replacing a trace is `worker.terminate()`; cancelling one is `StopRequest`,
 * so the worker keeps (and finishes indexing) the calls read so far and analysis keeps working.
 */
export interface OpenRequest {
  type: 'open';
  source: SourceSpec;
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
  | { type: 'header'; header: TraceHeader; totalBytes: number | null; argsChecked: boolean }
  | { type: 'batch'; batch: RecordBatch; progress: LoadProgress }
  | { type: 'done'; report: FinalReport }
  | { type: 'failed'; error: LoadFailure }
  | { type: 'index'; progress: IndexProgress }
  | { type: 'answer'; id: number; ok: true; answer: AnswerOf[keyof AnswerOf] }
  | { type: 'answer'; id: number; ok: false; message: string };
