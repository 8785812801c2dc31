/// <reference lib="webworker" />
import { TraceHeaderError } from '@kvtrace/trace';
import type { AnalysisHost, Frames } from './analysis-host.ts';
import { LoadError } from './input.ts';
import { runLoad } from './load-run.ts';
import type { MainMessage, QueryRequest, ShardMessage, ShardRequest, SourceSpec, WorkerMessage } from './protocol.ts';
import { inProcessPort, type ShardPort } from './shards.ts';
import { fileRangeSource, httpRangeSource } from './sources.ts';

/**
 * Parses a trace off the main thread (load-run.ts: the reading pass posts column batches, a big
 * file is indexed by shard workers started from here), then stays alive as the trace's analyzer
 * (AnalysisHost) and answers queries.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;

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

/** A shard worker (shard-worker.ts) as a ShardPort; in a browser without nested workers, one in this thread. */
function shardPort(): ShardPort {
  if (typeof Worker === 'undefined') return inProcessPort();
  const w = new Worker(new URL('./shard-worker.ts', import.meta.url), { type: 'module' });
  const port: ShardPort = {
    onmessage: null,
    onerror: null,
    post: (req: ShardRequest) => w.postMessage(req, req.bytes ? [req.bytes.buffer] : []),
    terminate: () => w.terminate(),
  };
  w.onmessage = (e: MessageEvent<ShardMessage>) => port.onmessage?.(e.data);
  w.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    port.onerror?.(e.message || 'worker error');
  };
  return port;
}

/** Frames looked up in the main thread's record store, by request id. */
const frameWaiters = new Map<number, { resolve(f: Frames): void; reject(e: Error): void }>();
let nextFramesId = 1;
function lookUpFrames(calls: Uint32Array): Promise<Frames> {
  return new Promise((resolve, reject) => {
    const id = nextFramesId++;
    frameWaiters.set(id, { resolve, reject });
    post({ type: 'frames', id, calls });
  });
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
  switch (m.type) {
    case 'query':
      void answer(m);
      return;
    case 'stop':
      stopLoad?.();
      return;
    case 'frames': {
      const w = frameWaiters.get(m.id);
      frameWaiters.delete(m.id);
      if (m.ok) w?.resolve({ offset: m.offset, frameBytes: m.frameBytes, file: m.file });
      else w?.reject(new Error(m.message));
      return;
    }
    case 'open': {
      const cores = navigator.hardwareConcurrency || 2;
      runLoad(m, {
        post,
        unreachable,
        rangeSource: rangeSourceOf,
        // At least two: the index is the slow half of a big file's load (issue 12). While the table
        // loads, the reading pass and the page each want a core: shards run beside them only on
        // the cores left (none on a 2-core machine, where running them anyway doubled the
        // table-ready time of a 1M-call file for no gain in the indexed time).
        shards: { make: shardPort, count: Math.max(2, cores), duringRead: Math.max(0, cores - 2) },
        lookUpFrames,
        onHost: (h) => (host = h),
        onStop: (s) => (stopLoad = s),
      }).catch((err: unknown) => {
        if (err instanceof TraceHeaderError || err instanceof LoadError) post({ type: 'failed', error: { kind: err.kind, message: err.message } });
        else post({ type: 'failed', error: { kind: 'io', message: err instanceof Error ? err.message : String(err) } });
      });
      return;
    }
  }
};
