import { createDefaultRegistry } from '@kvtrace/trace';
import { TraceLoader, type WorkerFactory } from './load/loader.ts';
import { traceUrl } from './load/sources.ts';
import { ArgsCache } from './model/args-cache.ts';
import { TraceSession } from './model/session.ts';

/** The composition root: one session, its argument cache and the loader that fills them. */
export interface Inspector {
  session: TraceSession;
  args: ArgsCache;
  loader: TraceLoader;
  openFile(file: File): void;
  openServerTrace(name: string): void;
}

export function createInspector(makeWorker?: WorkerFactory): Inspector {
  const session = new TraceSession();
  const args = new ArgsCache(session.store, createDefaultRegistry());
  const loader = new TraceLoader(session, args, makeWorker);
  return {
    session,
    args,
    loader,
    openFile(file) {
      loader.openFile(file);
    },
    openServerTrace(name) {
      loader.openUrl(traceUrl(name), name);
    },
  };
}
