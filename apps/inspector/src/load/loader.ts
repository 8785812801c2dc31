import type { AnalysisState } from '../model/analysis.ts';
import type { ArgsCache } from '../model/args-cache.ts';
import type { AnalysisPort, AnalysisRequest, AnswerOf } from '../model/queries.ts';
import type { TraceSession } from '../model/session.ts';
import type { OpenRequest, QueryRequest, SourceSpec, StopRequest, WorkerMessage } from './protocol.ts';
import { fileRangeSource, httpRangeSource } from './sources.ts';

export type WorkerFactory = () => Worker;

const defaultWorker: WorkerFactory = () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * Owns the parsing worker. One trace at a time: opening a second trace terminates the worker (the
 * cheapest clean stop: no stream to drain, no stale message can arrive) and a fresh one is started
 * ahead of time, so the next drop does not pay the worker's startup. Cancelling does not terminate
 * it: the worker holds the index of the calls read so far, which filters, lifecycles, statistics
 * and exports keep using, so it is asked to stop reading instead. Once loaded, the worker stays: it
 * holds the trace's analyzer, and the loader is the port queries go through.
 */
export class TraceLoader {
  private worker: Worker | null = null;
  private spare: Worker | null = null;
  private loading = false;
  /** A `stop` was sent; the worker's `done` ends the load. */
  private stopping = false;
  private nextId = 1;
  private waiters = new Map<number, Waiter>();

  constructor(
    private readonly session: TraceSession,
    private readonly args: ArgsCache,
    private readonly makeWorker: WorkerFactory = defaultWorker,
    private readonly analysis: AnalysisState | null = null,
  ) {}

  /** Starts a worker now so its module is loaded before the first drop. */
  warm(): void {
    this.spare ??= this.makeWorker();
  }

  openFile(file: File): void {
    this.start(file.name, file.size, { kind: 'file', file }, fileRangeSource(file));
  }

  /**
   * A trace at a URL (the server's `/traces/NAME`, or any address); `follow` streams a trace still
   * being recorded until the recording closes.
   */
  openUrl(url: string, name: string, follow = false): void {
    const stream = follow ? `${url}${url.includes('?') ? '&' : '?'}follow=1` : url;
    this.start(name, null, { kind: 'url', url: stream, rangeUrl: url }, httpRangeSource(url));
  }

  cancel(): void {
    if (!this.worker || !this.loading || this.stopping) return;
    if (!this.session.getSnapshot().header) {
      // Nothing read yet, nothing to keep: terminating is the quickest way out (and the worker may
      // still be waiting for the server, which a stop message could not interrupt).
      this.stopWorker();
      this.session.cancel();
      this.analysis?.attach(null);
      this.args.setSource(null);
      this.warm();
      return;
    }
    this.stopping = true;
    const m: StopRequest = { type: 'stop' };
    this.worker.postMessage(m);
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
    this.loading = true;
    this.stopping = false;
    this.session.begin(name, size);
    this.args.setSource(range);
    this.analysis?.attach(this.portFor(worker));
    worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
      if (this.worker !== worker) return;
      this.onMessage(e.data);
    };
    worker.onerror = (e: ErrorEvent) => {
      if (this.worker !== worker) return;
      e.preventDefault();
      const wasLoading = this.loading;
      this.stopWorker();
      if (wasLoading) this.session.fail({ kind: 'internal', message: `the parser stopped: ${e.message || 'worker error'}` });
      this.warm();
    };
    const req: OpenRequest = { type: 'open', source, checkArgs: 'auto' };
    worker.postMessage(req);
  }

  private portFor(worker: Worker): AnalysisPort {
    return {
      request: <R extends AnalysisRequest>(req: R) =>
        new Promise<AnswerOf[R['kind']]>((resolve, reject) => {
          if (this.worker !== worker) {
            reject(new Error('the trace was closed'));
            return;
          }
          const id = this.nextId++;
          this.waiters.set(id, { resolve: (v) => resolve(v as AnswerOf[R['kind']]), reject });
          const m: QueryRequest = { type: 'query', id, req };
          worker.postMessage(m);
        }),
    };
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
        this.loading = false;
        this.stopping = false;
        this.session.finish(m.report);
        this.warm();
        return;
      case 'failed':
        this.session.fail(m.error);
        this.args.setSource(null);
        this.analysis?.attach(null);
        this.stopWorker();
        this.warm();
        return;
      case 'index':
        this.analysis?.onIndex(m.progress);
        if (!m.progress.done) this.analysis?.onGrow();
        return;
      case 'answer': {
        const w = this.waiters.get(m.id);
        this.waiters.delete(m.id);
        if (!w) return;
        if (m.ok) w.resolve(m.answer);
        else w.reject(new Error(m.message));
        return;
      }
    }
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.loading = false;
    this.stopping = false;
    for (const w of this.waiters.values()) w.reject(new Error('the trace was closed'));
    this.waiters.clear();
  }
}
