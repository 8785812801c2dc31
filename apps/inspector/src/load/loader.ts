import type { ArgsCache } from '../model/args-cache.ts';
import type { TraceSession } from '../model/session.ts';
import type { OpenRequest, SourceSpec, WorkerMessage } from './protocol.ts';
import { fileRangeSource, httpRangeSource } from './sources.ts';

export type WorkerFactory = () => Worker;

const defaultWorker: WorkerFactory = () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

/**
 * Owns the parsing worker. One load at a time: opening a second trace or cancelling terminates the
 * worker (the cheapest clean stop: no stream to drain, no stale message can arrive) and a fresh
 * one is started ahead of time, so the next drop does not pay the worker's startup.
 */
export class TraceLoader {
  private worker: Worker | null = null;
  private spare: Worker | null = null;

  constructor(
    private readonly session: TraceSession,
    private readonly args: ArgsCache,
    private readonly makeWorker: WorkerFactory = defaultWorker,
  ) {}

  /** Starts a worker now so its module is loaded before the first drop. */
  warm(): void {
    this.spare ??= this.makeWorker();
  }

  openFile(file: File): void {
    this.start(file.name, file.size, { kind: 'file', file }, fileRangeSource(file));
  }

  openUrl(url: string, name: string): void {
    this.start(name, null, { kind: 'url', url }, httpRangeSource(url));
  }

  cancel(): void {
    if (!this.worker) return;
    this.stopWorker();
    this.session.cancel();
    this.warm();
  }

  dispose(): void {
    this.stopWorker();
    this.spare?.terminate();
    this.spare = null;
  }

  private start(name: string, size: number | null, source: SourceSpec, range: ReturnType<typeof fileRangeSource>): void {
    this.stopWorker();
    const worker = this.spare ?? this.makeWorker();
    this.spare = null;
    this.worker = worker;
    this.session.begin(name, size);
    this.args.setSource(range);
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (this.worker !== worker) return;
      this.onMessage(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      if (this.worker !== worker) return;
      e.preventDefault();
      this.stopWorker();
      this.session.fail({ kind: 'internal', message: `the parser stopped: ${e.message || 'worker error'}` });
      this.warm();
    };
    const req: OpenRequest = { type: 'open', source, checkArgs: 'auto' };
    worker.postMessage(req);
  }

  private onMessage(m: WorkerMessage): void {
    switch (m.type) {
      case 'header':
        this.session.onHeader(m.header, m.totalBytes);
        return;
      case 'batch':
        this.session.onBatch(m.batch, m.progress);
        return;
      case 'done':
        this.session.finish(m.report);
        this.release();
        return;
      case 'failed':
        this.session.fail(m.error);
        this.args.setSource(null);
        this.release();
        return;
    }
  }

  /** A finished worker is idle and reusable: keep it as the spare. */
  private release(): void {
    const w = this.worker;
    this.worker = null;
    if (w && !this.spare) {
      w.onmessage = null;
      w.onerror = null;
      this.spare = w;
    } else w?.terminate();
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
