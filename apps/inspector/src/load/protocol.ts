import type { TraceHeader } from '@kvtrace/trace';
import type { FinalReport, LoadFailure, LoadProgress } from '../model/session.ts';
import type { RecordBatch } from '../model/record-store.ts';

export type SourceSpec = { kind: 'file'; file: Blob } | { kind: 'url'; url: string };

/** Main thread → worker. Cancelling is `worker.terminate()`: nothing to clean up in a worker. */
export interface OpenRequest {
  type: 'open';
  source: SourceSpec;
  /** Decode every record's arguments while reading, to count unknown tags (small files only). */
  checkArgs: boolean | 'auto';
}

/** Worker → main thread. */
export type WorkerMessage =
  | { type: 'header'; header: TraceHeader; totalBytes: number | null; argsChecked: boolean }
  | { type: 'batch'; batch: RecordBatch; progress: LoadProgress }
  | { type: 'done'; report: FinalReport }
  | { type: 'failed'; error: LoadFailure };
