import type { AnalysisState } from '../model/analysis.ts';
import type { ArgsCache, RangeSource } from '../model/args-cache.ts';
import type { AnalysisPort, AnalysisRequest, AnswerOf } from '../model/queries.ts';
import type { TraceSession } from '../model/session.ts';
import { planTraces, setName, TraceSetError, type PlannedTrace, type ServerFile } from '../model/trace-set.ts';
import type { FramesAnswer, OpenRequest, QueryRequest, SourceSpec, StopRequest, TraceSpec, WorkerMessage } from './protocol.ts';
import { fileRangeSource, httpRangeSource, traceUrl } from './sources.ts';

export type WorkerFactory = () => Worker;

const defaultWorker: WorkerFactory = () => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

interface Waiter {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/**
 * Owns the parsing worker. One trace (or one set of traces) at a time: opening another terminates the worker (the
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
    this.openFiles([file]);
  }

  /**
   * Files dropped or picked together: a rotated recording's segments are one trace, several
   * recordings are several traces (servers) lined up on the wall clock. Two files for one segment
   * fail the load with both names.
   */
  openFiles(files: readonly File[]): void {
    this.openPlanned(() => planTraces(files, (f) => f.name), (f) => ({ kind: 'file', file: f }));
  }

  /**
   * A trace at a URL (the server's `/traces/NAME`, or any address); `follow` streams a trace still
   * being recorded until the recording closes.
   */
  openUrl(url: string, name: string, follow = false): void {
    this.openPlanned(() => [{ server: name, files: [{ name, item: url }], missing: [] }], (u, last) => urlSource(u, follow && last));
  }

  /**
   * Traces of the server by file name (`GET /traces/NAME`), grouped as openFiles groups files.
   * `follow` applies to one trace: its last segment is the one being recorded.
   */
  openServerTraces(files: readonly ServerFile[], follow = false): void {
    this.openPlanned(
      () => planTraces(files, (f) => f.name),
      (f, last, traces) => ({ ...urlSource(traceUrl(f.name), follow && last && traces === 1), ...(f.size === undefined ? {} : { size: f.size }) }),
    );
  }

  /** Plans the set (a TraceSetError fails the load, saying why), then opens it. */
  private openPlanned<T>(plan: () => PlannedTrace<T>[], sourceOf: (item: T, lastOfItsTrace: boolean, traces: number) => SourceSpec): void {
    let planned: PlannedTrace<T>[];
    try {
      planned = plan();
    } catch (e) {
      if (!(e instanceof TraceSetError)) throw e;
      this.stopWorker();
      this.session.begin('', null);
      this.session.fail({ kind: 'set', message: e.message });
      this.analysis?.attach(null);
      this.args.setSource(null);
      return;
    }
    const traces: TraceSpec[] = planned.map((t) => ({
      server: t.server,
      files: t.files.map((f, i) => ({ name: f.name, source: sourceOf(f.item, i === t.files.length - 1, planned.length) })),
      missing: t.missing,
    }));
    const sources = traces.flatMap((t) => t.files.map((f) => f.source));
    const sizes = sources.map((s) => (s.kind === 'file' ? s.file.size : (s.size ?? null)));
    const size = sizes.some((n) => n === null) ? null : sizes.reduce<number>((a, n) => a + n!, 0);
    this.start(setName(planned), size, traces, sources.map((s) => (s.kind === 'file' ? fileRangeSource(s.file) : httpRangeSource(s.rangeUrl))));
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

  private start(name: string, size: number | null, traces: TraceSpec[], ranges: RangeSource[]): void {
    this.stopWorker();
    const worker = this.spare ?? this.makeWorker();
    this.spare = null;
    this.worker = worker;
    this.loading = true;
    this.stopping = false;
    this.session.begin(name, size);
    this.args.setSources(ranges);
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
    const req: OpenRequest = { type: 'open', traces, checkArgs: 'auto' };
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
        this.session.onHeader(m.header, m.totalBytes, m.traces);
        return;
      case 'batch': {
        // Copied into the store, then dropped. Not detached to free it sooner: in Chromium that frees
        // nothing until a collection and hides the bytes from the collector (see ShardMerger's release).
        this.session.onBatch(m.batch, m.progress);
        if (this.framesPending.length > 0) this.retryFrames();
        return;
      }
      case 'done':
        this.loading = false;
        this.stopping = false;
        this.session.finish(m.report);
        if (this.framesPending.length > 0) this.retryFrames();
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
      case 'frames':
        this.answerFrames(m.id, m.calls);
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

  /**
   * Where the worker's calls are in their files, from the record store (the worker of a big file
   * keeps no frame table: its index was merged from shards). A call the store does not have yet
   * (the worker indexed it before its batch arrived) is answered once its batch is in.
   */
  private answerFrames(id: number, calls: Uint32Array): void {
    const worker = this.worker;
    const store = this.session.store;
    let max = -1;
    for (let i = 0; i < calls.length; i++) max = Math.max(max, calls[i]!);
    if (max >= store.length) {
      if (!this.loading) {
        const m: FramesAnswer = { type: 'frames', id, ok: false, message: `call ${max} is not in the table (${store.length} calls)` };
        worker?.postMessage(m);
      } else this.framesPending.push({ id, calls });
      return;
    }
    const n = calls.length;
    const offset = new Float64Array(n), frameBytes = new Uint32Array(n);
    const file = store.file.length > 0 ? new Uint16Array(n) : null;
    for (let i = 0; i < n; i++) {
      const c = calls[i]!;
      offset[i] = store.offsetOf(c);
      frameBytes[i] = store.frameBytes[c]!;
      if (file) file[i] = store.fileOf(c);
    }
    const m: FramesAnswer = { type: 'frames', id, ok: true, offset, frameBytes, file };
    worker?.postMessage(m, file ? [offset.buffer, frameBytes.buffer, file.buffer] : [offset.buffer, frameBytes.buffer]);
  }

  /** Frame requests waiting for their calls' batches (answerFrames). */
  private framesPending: { id: number; calls: Uint32Array }[] = [];

  private retryFrames(): void {
    const pending = this.framesPending;
    this.framesPending = [];
    for (const p of pending) this.answerFrames(p.id, p.calls);
  }

  private stopWorker(): void {
    this.worker?.terminate();
    this.worker = null;
    this.loading = false;
    this.stopping = false;
    this.framesPending = [];
    for (const w of this.waiters.values()) w.reject(new Error('the trace was closed'));
    this.waiters.clear();
  }
}

/** A URL source; `follow` streams the file still being recorded (ranges go to the plain URL). */
function urlSource(url: string, follow: boolean): SourceSpec {
  return { kind: 'url', url: follow ? `${url}${url.includes('?') ? '&' : '?'}follow=1` : url, rangeUrl: url };
}
