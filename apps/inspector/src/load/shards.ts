import { IndexShard, partBuffers, type ShardResult } from '@kvtrace/trace';
import type { ShardMessage, ShardRequest, ShardSource } from './protocol.ts';

/**
 * Shard workers for a big file's index: each reads a unit's byte range (File.slice, or a Range
 * request) and indexes its records apart (libs/trace IndexShard); the loading worker merges the
 * parts in trace order (ShardMerger). `ShardPort` is one worker as the pool sees it, so tests and a
 * browser without nested workers run the same pool over in-process ports.
 */
export interface ShardPort {
  /** Sends a unit; its bytes, if any, are transferred. */
  post(req: ShardRequest): void;
  terminate(): void;
  onmessage: ((m: ShardMessage) => void) | null;
  onerror: ((message: string) => void) | null;
}

export type ShardPortFactory = () => ShardPort;

/** Units in flight per worker: one being indexed, one waiting in its queue, so no worker idles on a round trip. */
const IN_FLIGHT = 2;

/** The bytes [start, end) of a source as a stream (a Range request must be answered 206). */
async function openRange(source: ShardSource, start: number, end: number): Promise<ReadableStream<Uint8Array>> {
  if (source.kind === 'file') return source.file.slice(start, end).stream();
  const res = await fetch(source.url, { headers: { Range: `bytes=${start}-${end - 1}` } });
  if (res.status !== 206 || !res.body) {
    await res.body?.cancel();
    throw new Error(`the server answered HTTP ${res.status} to a Range request (a sharded index reads byte ranges)`);
  }
  return res.body;
}

/** Indexes one unit: what a shard worker does with a ShardRequest. */
export async function indexUnit(req: ShardRequest): Promise<ShardResult> {
  const shard = new IndexShard(req.start);
  if (req.bytes) {
    shard.push(req.bytes);
    return shard.finish();
  }
  const reader = (await openRange(req.source, req.start, req.end)).getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    shard.push(r.value);
  }
  return shard.finish();
}

/** A ShardRequest's answer, and the buffers to transfer with it. */
export async function answerUnit(req: ShardRequest): Promise<{ msg: ShardMessage; transfer: ArrayBuffer[] }> {
  try {
    const r = await indexUnit(req);
    return { msg: { type: 'part', id: req.id, part: r.part, malformed: r.malformed, trailingBytes: r.trailingBytes }, transfer: partBuffers(r.part) };
  } catch (e) {
    return { msg: { type: 'error', id: req.id, message: e instanceof Error ? e.message : String(e) }, transfer: [] };
  }
}

/** A shard "worker" that runs in this thread: where no nested Worker can be started, and in tests. */
export function inProcessPort(): ShardPort {
  let dead = false;
  const port: ShardPort = {
    onmessage: null,
    onerror: null,
    post(req) {
      void answerUnit(req).then(({ msg }) => {
        if (!dead) port.onmessage?.(msg);
      });
    },
    terminate() {
      dead = true;
    },
  };
  return port;
}

/**
 * Hands units to `size` shard workers, at most IN_FLIGHT each, in the order submitted (the merge
 * wants early units first). Results come back through `onResult`; a worker that dies fails the
 * pool (`onFail`), and `close` terminates them all (their memory goes with them).
 */
export class ShardPool {
  private readonly ports: ShardPort[] = [];
  private readonly load: number[] = [];
  private readonly queue: ShardRequest[] = [];
  private closed = false;
  /** Workers units are handed to now (setActive); the others wait. */
  private active: number;

  constructor(
    size: number,
    make: ShardPortFactory,
    private readonly onResult: (m: ShardMessage) => void,
    private readonly onFail: (message: string) => void,
  ) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const p = make();
      p.onmessage = (m) => {
        if (this.closed) return;
        this.load[i]!--;
        this.onResult(m);
        this.dispatch();
      };
      p.onerror = (message) => {
        if (!this.closed) this.onFail(message);
      };
      this.ports.push(p);
      this.load.push(0);
    }
    this.active = this.ports.length;
  }

  /** Hands units to the first `n` workers only (e.g. one while the reading pass needs a core). */
  setActive(n: number): void {
    this.active = Math.max(1, Math.min(this.ports.length, n));
    this.dispatch();
  }

  /** Units submitted and not yet handed to a worker. */
  get queued(): number {
    return this.queue.length;
  }

  submit(req: ShardRequest): void {
    this.queue.push(req);
    this.dispatch();
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    for (const p of this.ports) p.terminate();
  }

  private dispatch(): void {
    while (!this.closed && this.queue.length > 0) {
      let best = -1;
      for (let i = 0; i < this.active; i++) if (this.load[i]! < IN_FLIGHT && (best < 0 || this.load[i]! < this.load[best]!)) best = i;
      if (best < 0) return;
      this.load[best]!++;
      this.ports[best]!.post(this.queue.shift()!);
    }
  }
}
