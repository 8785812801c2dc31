/// <reference lib="webworker" />
import { serveReadAhead, type FromReader, type ToReader } from './read-ahead.ts';

/** Reads one big File ahead of the loading worker (read-ahead.ts), started by it. */
const scope = self as unknown as DedicatedWorkerGlobalScope;
serveReadAhead({
  postMessage: (m: FromReader, transfer: Transferable[] = []) => scope.postMessage(m, transfer),
  set onmessage(f: ((e: { data: ToReader }) => void) | null) {
    scope.onmessage = f;
  },
  get onmessage() {
    return scope.onmessage as ((e: { data: ToReader }) => void) | null;
  },
});
