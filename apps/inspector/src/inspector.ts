import { createDefaultRegistry } from '@kvtrace/trace';
import { TraceLoader, type WorkerFactory } from './load/loader.ts';
import { AnalysisState } from './model/analysis.ts';
import { ArgsCache } from './model/args-cache.ts';
import { TraceSession } from './model/session.ts';
import type { ServerFile } from './model/trace-set.ts';

/**
 * One open trace (or set of traces opened as one): its session, argument cache, analysis state and
 * the loader (worker) behind them.
 */
export interface TraceSlot {
  session: TraceSession;
  args: ArgsCache;
  analysis: AnalysisState;
  loader: TraceLoader;
  openFile(file: File): void;
  /** Files dropped or picked together: rotated segments are one trace, recordings are servers. */
  openFiles(files: readonly File[]): void;
  openServerTrace(name: string, follow?: boolean): void;
  /** Trace files of the server opened together, grouped as openFiles groups files. */
  openServerTraces(files: readonly ServerFile[], follow?: boolean): void;
}

/** The composition root: the trace being inspected, and a second one to compare it with. */
export interface Inspector extends TraceSlot {
  compare: TraceSlot;
}

function createSlot(makeWorker?: WorkerFactory): TraceSlot {
  const session = new TraceSession();
  const args = new ArgsCache(session.store, createDefaultRegistry());
  const analysis = new AnalysisState();
  const loader = new TraceLoader(session, args, makeWorker, analysis);
  return {
    session,
    args,
    analysis,
    loader,
    openFile(file) {
      loader.openFile(file);
    },
    openFiles(files) {
      loader.openFiles(files);
    },
    openServerTrace(name, follow = false) {
      loader.openServerTraces([{ name }], follow);
    },
    openServerTraces(files, follow = false) {
      loader.openServerTraces(files, follow);
    },
  };
}

export function createInspector(makeWorker?: WorkerFactory): Inspector {
  return { ...createSlot(makeWorker), compare: createSlot(makeWorker) };
}
