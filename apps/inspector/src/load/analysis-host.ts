import {
  ChromeTraceWriter,
  chromeTraceOptions,
  FRAME_PREFIX_BYTES,
  QualnameInterner,
  SPAN_STATUS_NAMES,
  SpanKind,
  SpanStatus,
  TraceAnalyzer,
  createDefaultRegistry,
  csvHeader,
  csvLine,
  exportRow,
  jsonLine,
  phaseDuration,
  readEnvelope,
  spanDuration,
  spanT0,
  type CodecRegistry,
  type ExportRecord,
  type FilterQuery,
  type PhaseName,
  type RequestSpans,
  type TraceHeader,
  type TraceRecord,
} from '@kvtrace/trace';
import type { RangeSource } from '../model/args-cache.ts';
import { SliceStatus, type AnalysisRequest, type AnswerOf, type CallSpan, type RequestReport, type RequestRow, type SliceReport, type WireQuery } from '../model/queries.ts';
import { topOrder } from './top-order.ts';

/** Records per export read: enough to coalesce frames into a few big range reads. */
const EXPORT_CHUNK = 2000;
const COALESCE_GAP = 64 * 1024;
const MAX_RANGE = 8 * 1024 * 1024;
/** While the index grows (a live trace), the table's span answers reuse spans this recent. */
const LIVE_SPANS_MS = 1000;

const toFilter = (q: WireQuery): FilterQuery => ({ methods: q.methods, t0: q.t0, t1: q.t1, text: q.text, keyId: q.keyId });

/** Where some calls' frames are: offset, size and file of each (file null: all in file 0). */
export interface Frames {
  offset: Float64Array;
  frameBytes: Uint32Array;
  file: Uint16Array | null;
}

/** Looks frames up by call (the record store on the main thread has every call's). */
export type FrameLookup = (calls: Uint32Array) => Promise<Frames>;

/**
 * The worker's half of the analysis: a TraceAnalyzer fed every record (call index = record index =
 * table row), and where each call's frame is, so exports can read arguments back from the sources
 * (the store keeps no arguments, neither does this). Records added one by one (`add`: small and
 * live traces) have their frames kept here; a big file's index is merged from shard workers'
 * parts instead (load-run.ts), and its frames are looked up in the main thread's record store
 * (`lookUpFrames`), so the worker keeps no per-call frame table of its own (12 B a call). Several
 * traces open as one are told apart by the index's sources (CallIndex.setSource, one per server),
 * so each server's keys and locks stay its own. Answers AnalysisRequests. Framework- and
 * DOM-free, so the in-process test worker runs the very same code.
 */
export class AnalysisHost {
  readonly analyzer = new TraceAnalyzer();
  private offset = new Float64Array(1 << 14);
  private frameBytes = new Uint32Array(1 << 14);
  /** The file of each call; empty while every call is from file 0. */
  private file = new Uint16Array(0);
  /** Calls whose frames are kept here (add); calls from there on are looked up (lookUpFrames). */
  private framesKept = 0;
  private lookup: FrameLookup | null = null;
  /** The trace (server) the calls being added come from. */
  private trace = -1;
  private report: { key: string; rev: number; value: RequestReport } | null = null;
  private spanSnap: { rev: number; at: number; spans: RequestSpans } | null = null;
  /** The earliest trace's header, once read (exports name its start time as `kvtrace export` does). */
  header: TraceHeader | null = null;
  /** Every call is indexed (no call will be added): span answers are never reused across changes. */
  complete = false;
  private readonly registry: CodecRegistry = createDefaultRegistry();

  /** By file id: where each file's frames are read back from. */
  private readonly sources: readonly RangeSource[];

  /** `sources`: one per file id (one file: that file's); `servers`: one name per trace (one trace: no server names). */
  constructor(
    sources: RangeSource | readonly RangeSource[] | null,
    readonly servers: readonly string[] = [''],
  ) {
    this.sources = sources === null ? [] : isSourceList(sources) ? sources : [sources];
  }

  get length(): number {
    return this.analyzer.index.length;
  }

  /** The store's method id for a qualname: the analyzer's table, so both threads agree on ids. */
  methodId(qualname: string): number {
    return this.analyzer.index.methods.intern(qualname);
  }

  /**
   * Frames of the calls not added here with their records (a merged index): looked up with `lookup`
   * from now on. Calls already added keep their frames here.
   */
  lookUpFrames(lookup: FrameLookup): void {
    this.lookup = lookup;
    this.framesKept = this.length;
    this.offset = this.offset.slice(0, this.framesKept);
    this.frameBytes = this.frameBytes.slice(0, this.framesKept);
    if (this.file.length > 0) this.file = this.file.slice(0, this.framesKept);
  }

  /**
   * Indexes one record (call index = record index = table row), from file `file` of trace `trace`.
   * Arguments are never kept: a RecordView walks its bytes for the index (ObjectKeys read in
   * place); others are decoded. Its frame is kept unless frames are looked up (lookUpFrames).
   */
  add(rec: TraceRecord, file = 0, trace = 0): void {
    const call = this.analyzer.index.length;
    if (this.lookup === null) {
      if (call === this.offset.length) {
        this.offset = grow(this.offset, (n) => new Float64Array(n));
        this.frameBytes = grow(this.frameBytes, (n) => new Uint32Array(n));
        if (this.file.length > 0) this.file = grow(this.file, (n) => new Uint16Array(n));
      }
      this.offset[call] = rec.offset;
      this.frameBytes[call] = rec.frameBytes;
      if (file !== 0 && this.file.length === 0) this.file = new Uint16Array(this.offset.length);
      if (this.file.length > 0) this.file[call] = file;
      this.framesKept = call + 1;
    }
    // Each server is its own storage manager: its keys are its own objects in the analysis.
    if (trace !== this.trace && this.servers.length > 1) this.analyzer.index.setSource(this.servers[trace] ?? String(trace));
    this.trace = trace;
    this.analyzer.addTraceRecord(rec);
  }

  /** Frames of `calls`: kept here, or looked up. */
  private async framesOf(calls: Uint32Array): Promise<Frames> {
    const n = calls.length;
    const out: Frames = { offset: new Float64Array(n), frameBytes: new Uint32Array(n), file: this.file.length > 0 ? new Uint16Array(n) : null };
    const far: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = calls[i]!;
      if (c >= this.framesKept) {
        far.push(i);
        continue;
      }
      out.offset[i] = this.offset[c]!;
      out.frameBytes[i] = this.frameBytes[c]!;
      if (out.file) out.file[i] = this.file[c]!;
    }
    if (far.length === 0) return out;
    if (this.lookup === null) throw new Error(`no frame for call ${calls[far[0]!]}`);
    const got = await this.lookup(Uint32Array.from(far, (i) => calls[i]!));
    if (got.file && !out.file) out.file = new Uint16Array(n);
    far.forEach((i, j) => {
      out.offset[i] = got.offset[j]!;
      out.frameBytes[i] = got.frameBytes[j]!;
      if (out.file) out.file[i] = got.file ? got.file[j]! : 0;
    });
    return out;
  }

  /** The server of a call when several traces are open, else ''. */
  private serverOf(call: number): string {
    const ix = this.analyzer.index;
    return ix.sources.length > 1 && call >= 0 ? ix.sources[ix.sourceOf(call)]! : '';
  }

  /**
   * The request summary, flag groups, slowest requests and phase histograms, cached until the
   * analysis changes. Summarising 1M calls takes a while, so the worker computes it right after
   * indexing (see worker.ts) instead of making the first question wait behind it.
   */
  requestReport(flagLimit: number, requestLimit: number, bins: number): RequestReport {
    const a = this.analyzer;
    const key = `${flagLimit}|${requestLimit}|${bins}`;
    const rev = a.requests.revision;
    const r = this.report;
    if (r && r.key === key && r.rev === rev) return r.value;
    const spans = a.spans();
    const { summary, histograms } = a.phaseReport(bins);
    const value: RequestReport = {
      summary,
      groups: a.flagGroups(undefined, flagLimit),
      slowest: slowest(spans, requestLimit, (id) => a.index.erids.get(id), (call) => this.serverOf(call)),
      histograms,
      calls: this.length,
    };
    this.report = { key, rev, value };
    return value;
  }

  /** Request spans for the timeline: kind, status and their calls (the page has the calls' times). */
  slices(): SliceReport {
    const sp = this.analyzer.spans();
    const n = sp.length;
    const kind = new Uint8Array(n), status = new Uint8Array(n);
    for (let s = 0; s < n; s++) {
      kind[s] = sp.kind[s] === SpanKind.read ? 1 : 0;
      const st = sp.status[s]!;
      status[s] = st === SpanStatus.leaked ? SliceStatus.leaked : st === SpanStatus.undecided ? SliceStatus.undecided : SliceStatus.ok;
    }
    // Copies: they are transferred, and the spans may be the tracker's own columns.
    return { length: n, kind, status, start: sp.start.slice(0, n), enter: sp.enter.slice(0, n), exit: sp.exit.slice(0, n), end: sp.end.slice(0, n), calls: this.length };
  }

  async handle(req: AnalysisRequest): Promise<{ answer: AnswerOf[keyof AnswerOf]; transfer: Transferable[] }> {
    const a = this.analyzer;
    switch (req.kind) {
      case 'filter': {
        const calls = a.filter(toFilter(req.query));
        return { answer: calls, transfer: [calls.buffer] };
      }
      case 'stats': {
        const calls = req.query ? a.filter(toFilter(req.query)) : undefined;
        return { answer: a.stats({ bins: req.bins, calls }), transfer: [] };
      }
      case 'requests':
        return { answer: this.requestReport(req.flagLimit, req.requestLimit, req.bins), transfer: [] };
      case 'slices': {
        const r = this.slices();
        return { answer: r, transfer: [r.kind.buffer, r.status.buffer, r.start.buffer, r.enter.buffer, r.exit.buffer, r.end.buffer] };
      }
      case 'keyOf': {
        const k = req.key;
        const keys = a.index.keys;
        // The key's identity includes its trace: the key of the call's server. The source being
        // interned (a load still running) is put back.
        const current = keys.source;
        keys.source = req.call >= 0 && req.call < a.index.length ? a.index.sourceOf(req.call) : current;
        try {
          return { answer: keys.idOfParts(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt), transfer: [] };
        } finally {
          keys.source = current;
        }
      }
      case 'callSpans':
        return { answer: this.callSpans(req.calls), transfer: [] };
      case 'keyTimeline': {
        const timeline = a.keyTimeline(req.keyId);
        const info = a.index.keyInfo(req.keyId);
        return { answer: { info, timeline, server: a.index.sources.length > 1 ? (a.index.sources[info.source] ?? '') : '' }, transfer: [] };
      }
      case 'export':
        return { answer: await this.exportBlob(req.format, req.query, req.name), transfer: [] };
    }
  }

  /**
   * The request span of each call (the table's visible rows): its duration, request id and phases.
   * Spans are recomputed when the analysis changed, but while calls are still being added (a live
   * trace) at most every LIVE_SPANS_MS, so scrolling a growing trace does not recompute them per row.
   */
  callSpans(calls: readonly number[]): CallSpan[] {
    const a = this.analyzer;
    const rev = a.requests.revision;
    // Complete: the analyzer's own spans (views, cached); a snapshot kept here from before the
    // index was trimmed would hold a copy of every span column.
    if (this.complete) this.spanSnap = null;
    let snap = this.spanSnap;
    if (!this.complete && (!snap || (snap.rev !== rev && performance.now() - snap.at >= LIVE_SPANS_MS))) {
      snap = this.spanSnap = { rev, at: performance.now(), spans: a.spans() };
    }
    const sp = snap?.spans ?? a.spans();
    return calls.map((call): CallSpan => {
      const s = call < a.length ? a.requests.spanOfCall(call) : -1;
      if (s < 0 || s >= sp.length) return { call, span: -1, kind: null, status: '', externalRequestId: '', duration: NaN, phases: {} };
      const read = sp.kind[s] === SpanKind.read;
      const phases: Partial<Record<PhaseName, number>> = {};
      for (const p of read ? (['read_wait', 'read_body', 'read_release'] as const) : (['write'] as const)) phases[p] = phaseDuration(sp, s, p);
      return {
        call,
        span: s,
        kind: read ? 'read' : 'write',
        status: SPAN_STATUS_NAMES[sp.status[s]!]!,
        externalRequestId: a.index.erids.get(sp.erid[s]!),
        duration: spanDuration(sp, s),
        phases,
      };
    });
  }

  /**
   * The calls (filtered for JSON lines and CSV; all of them for Chrome, whose request spans need the
   * whole trace) through libs/trace's exporters: the bytes `kvtrace export` writes for the same trace.
   * Arguments are read back from the source by offset, a chunk at a time.
   */
  private async exportBlob(format: 'jsonl' | 'csv' | 'chrome', query: WireQuery | null, name: string): Promise<Blob> {
    const a = this.analyzer;
    const ix = a.index;
    const calls = format === 'chrome' ? a.filter({ methods: null }) : a.filter(toFilter(query ?? { methods: null }));
    // Several traces: named as `kvtrace export` names a merged set (the servers joined by '+').
    const source = this.servers.length > 1 ? this.servers.join('+') : name;
    const chrome = format === 'chrome' ? new ChromeTraceWriter(chromeTraceOptions(source, this.header)) : null;
    const parts: string[] = [chrome ? chrome.begin() : format === 'csv' ? csvHeader() : ''];
    for (let from = 0; from < calls.length; from += EXPORT_CHUNK) {
      const chunk = calls.subarray(from, Math.min(calls.length, from + EXPORT_CHUNK));
      const recs = await this.readRecords(chunk);
      let text = '';
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i]!;
        const row = exportRow(c, ix.recordIndexOf(c), recs.get(c) ?? missing(c), this.serverOf(c));
        text += chrome ? chrome.call(row) : format === 'csv' ? csvLine(row) : jsonLine(row);
      }
      parts.push(text);
    }
    if (chrome) parts.push(chrome.end(a.spans(), (id) => ix.erids.get(id)));
    return new Blob(parts, { type: format === 'csv' ? 'text/csv' : format === 'chrome' ? 'application/json' : 'application/x-ndjson' });
  }

  /** Reads the frames of some calls back from their files, neighbours in a file merged into one range read. */
  private async readRecords(calls: Uint32Array): Promise<Map<number, ExportRecord>> {
    const out = new Map<number, ExportRecord>();
    if (this.sources.length === 0 || calls.length === 0) return out;
    const fr = await this.framesOf(calls);
    const fileOf = (i: number) => (fr.file === null ? 0 : fr.file[i]!);
    const order = Array.from(calls, (_, i) => i).sort((x, y) => fileOf(x) - fileOf(y) || fr.offset[x]! - fr.offset[y]!);
    const interner = new QualnameInterner();
    let i = 0;
    while (i < order.length) {
      const file = fileOf(order[i]!);
      const src = this.sources[file];
      if (!src) throw new Error(`no source for file ${file}`);
      const start = fr.offset[order[i]!]!;
      let end = start + fr.frameBytes[order[i]!]!;
      let j = i + 1;
      while (j < order.length) {
        const s = fr.offset[order[j]!]!, e = s + fr.frameBytes[order[j]!]!;
        if (fileOf(order[j]!) !== file || s - end > COALESCE_GAP || e - start > MAX_RANGE) break;
        end = Math.max(end, e);
        j++;
      }
      const buf = await src.read(start, end);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let k = i; k < j; k++) {
        const at = order[k]!;
        const c = calls[at]!;
        const offset = fr.offset[at]!;
        const body = offset - start + FRAME_PREFIX_BYTES;
        const env = readEnvelope(buf, body, offset - start + fr.frameBytes[at]!, interner, view);
        let args: Record<string, unknown> | null = null;
        let error = '';
        try {
          args = this.registry.decodeArgs(buf, env.argsStart, env.argsEnd, start).args;
        } catch (e) {
          error = (e as Error).message;
        }
        out.set(c, {
          offset,
          t_mono: env.t_mono,
          t_wall: env.t_wall,
          qualname: env.qualname,
          args: () => {
            if (args === null) throw new Error(error);
            return args;
          },
        });
      }
      i = j;
    }
    return out;
  }
}

function isSourceList(s: RangeSource | readonly RangeSource[]): s is readonly RangeSource[] {
  return Array.isArray(s);
}

function missing(call: number): never {
  throw new Error(`call ${call} was not read back`);
}

/** The `limit` longest requests, those still open first; each with its phases. */
function slowest(sp: RequestSpans, limit: number, erid: (id: number) => string, server: (call: number) => string): RequestRow[] {
  const dur = (s: number) => spanDuration(sp, s);
  // Open requests (no end: NaN) first, then the longest, then in trace order.
  const before = (x: number, y: number): boolean => {
    const dx = dur(x), dy = dur(y);
    if (Number.isNaN(dx) !== Number.isNaN(dy)) return Number.isNaN(dx);
    if (!Number.isNaN(dx) && dx !== dy) return dx > dy;
    return x < y;
  };
  return topOrder(sp.length, limit, before).map((s) => {
    const read = sp.kind[s] === SpanKind.read;
    const phases: Partial<Record<PhaseName, number>> = {};
    for (const p of read ? (['read', 'read_wait', 'read_body', 'read_release'] as const) : (['write'] as const)) phases[p] = phaseDuration(sp, s, p);
    return {
      span: s,
      server: server(sp.start[s]!),
      kind: read ? 'read' : 'write',
      status: SPAN_STATUS_NAMES[sp.status[s]!]!,
      externalRequestId: erid(sp.erid[s]!),
      calls: read ? [sp.start[s]!, sp.enter[s]!, sp.exit[s]!, sp.end[s]!] : [sp.start[s]!, sp.end[s]!],
      keys: sp.keys[s]!,
      found: sp.found[s]!,
      t0: spanT0(sp, s),
      phases,
      duration: dur(s),
    };
  });
}

function grow<T extends Float64Array | Uint32Array | Uint16Array>(a: T, make: (n: number) => T): T {
  const next = make(a.length * 2);
  next.set(a);
  return next;
}
