import {
  CSV_COLUMNS,
  FRAME_PREFIX_BYTES,
  QualnameInterner,
  RecordView,
  TraceAnalyzer,
  createDefaultRegistry,
  csvChunks,
  jsonlChunks,
  readEnvelope,
  type CodecRegistry,
  type FilterQuery,
  type RecordSource,
  type TraceRecord,
} from '@kvtrace/trace';
import type { RangeSource } from '../model/args-cache.ts';
import type { AnalysisRequest, AnswerOf, LifecycleReport, WireQuery } from '../model/queries.ts';

/** Records per export read: enough to coalesce frames into a few big range reads. */
const EXPORT_CHUNK = 2000;
const COALESCE_GAP = 64 * 1024;
const MAX_RANGE = 8 * 1024 * 1024;

type ExportRecord = ReturnType<RecordSource['record']>;

const toFilter = (q: WireQuery): FilterQuery => ({ methods: q.methods, t0: q.t0, t1: q.t1, text: q.text, keyId: q.keyId });

/**
 * The worker's half of the analysis: a TraceAnalyzer fed every record while the trace loads (call
 * index = record index = table row), plus each frame's offset so exports can read arguments back
 * from the source (the store keeps no arguments, neither does this). Answers AnalysisRequests.
 * Framework- and DOM-free, so the in-process test worker runs the very same code.
 */
export class AnalysisHost {
  readonly analyzer = new TraceAnalyzer();
  private offset = new Float64Array(1 << 14);
  private frameBytes = new Uint32Array(1 << 14);
  private finishedAt = -1;
  private report: { limit: number; value: LifecycleReport } | null = null;
  private readonly registry: CodecRegistry = createDefaultRegistry();

  constructor(private readonly source: RangeSource | null) {}

  get length(): number {
    return this.analyzer.index.length;
  }

  /** The store's method id for a qualname: the analyzer's table, so both threads agree on ids. */
  methodId(qualname: string): number {
    return this.analyzer.index.methods.intern(qualname);
  }

  /**
   * Indexes one record. Arguments are never kept: a RecordView walks its bytes for the index
   * (ObjectKeys read in place, ~2x faster than decoding them); other records are decoded.
   */
  add(rec: TraceRecord, methodId: number): void {
    const call = this.analyzer.index.length;
    if (call === this.offset.length) {
      this.offset = grow(this.offset, (n) => new Float64Array(n));
      this.frameBytes = grow(this.frameBytes, (n) => new Uint32Array(n));
    }
    this.offset[call] = rec.offset;
    this.frameBytes[call] = rec.frameBytes;
    if (rec instanceof RecordView) this.analyzer.addIndexed(call, methodId, rec.t_mono, rec);
    else this.analyzer.add(call, methodId, rec.t_mono, rec.decodeArgs());
  }

  /** Leak flags need the end of the trace; on a live trace "the end" is now, so recompute when it grew. */
  private finish(): void {
    if (this.finishedAt === this.length) return;
    this.analyzer.finish();
    this.finishedAt = this.length;
  }

  /**
   * The lifecycle summary and flag groups, cached until the trace grows. Summarising 1M calls takes
   * ~0.6 s, so the worker computes it right after indexing (see worker.ts) instead of making the
   * first filter wait behind it.
   */
  lifecycleReport(flagLimit: number): LifecycleReport {
    const r = this.report;
    if (r && r.limit === flagLimit && r.value.calls === this.length) return r.value;
    this.finish();
    const l = this.analyzer.lifecycles;
    const value = { summary: l.summary(), groups: l.flagGroups(undefined, flagLimit), calls: this.length };
    this.report = { limit: flagLimit, value };
    return value;
  }

  async handle(req: AnalysisRequest): Promise<{ answer: AnswerOf[keyof AnswerOf]; transfer: Transferable[] }> {
    const a = this.analyzer;
    switch (req.kind) {
      case 'filter': {
        const calls = a.filter(toFilter(req.query));
        return { answer: calls, transfer: [calls.buffer] };
      }
      case 'stats': {
        this.finish();
        const calls = req.query ? a.filter(toFilter(req.query)) : undefined;
        return { answer: a.stats({ bins: req.bins, calls }), transfer: [] };
      }
      case 'lifecycles':
        return { answer: this.lifecycleReport(req.flagLimit), transfer: [] };
      case 'keyOf': {
        const k = req.key;
        return { answer: a.index.keys.idOfParts(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt), transfer: [] };
      }
      case 'keyTimeline': {
        const timeline = a.keyTimeline(req.keyId);
        return { answer: { info: a.index.keyInfo(req.keyId), timeline }, transfer: [] };
      }
      case 'export':
        return { answer: await this.exportBlob(req.format, req.query, req.name), transfer: [] };
    }
  }

  private async exportBlob(format: 'jsonl' | 'csv' | 'chrome', query: WireQuery | null, name: string): Promise<Blob> {
    const a = this.analyzer;
    if (format === 'chrome') {
      this.finish();
      return new Blob([...a.chromeTraceChunks({ processName: name, otherData: { trace: name } })], { type: 'application/json' });
    }
    const calls = a.filter(toFilter(query ?? { methods: null }));
    const parts: string[] = format === 'csv' ? [CSV_COLUMNS.join(',') + '\r\n'] : [];
    for (let from = 0; from < calls.length; from += EXPORT_CHUNK) {
      const chunk = calls.subarray(from, Math.min(calls.length, from + EXPORT_CHUNK));
      const recs = await this.readRecords(chunk);
      const source: RecordSource = { record: (ri) => recs.get(ri) ?? missing(ri) };
      const gen = format === 'jsonl' ? jsonlChunks(chunk, a.index, source) : csvChunks(chunk, a.index, source);
      let first = true;
      for (const s of gen) {
        // csvChunks starts every run with the header row; the file has it once, up front.
        parts.push(format === 'csv' && first ? s.slice(s.indexOf('\r\n') + 2) : s);
        first = false;
      }
    }
    return new Blob(parts, { type: format === 'csv' ? 'text/csv' : 'application/x-ndjson' });
  }

  /** Reads the frames of some calls back from the source, neighbours merged into one range read. */
  private async readRecords(calls: Uint32Array): Promise<Map<number, ExportRecord>> {
    const out = new Map<number, ExportRecord>();
    const src = this.source;
    if (!src || calls.length === 0) return out;
    const order = Array.from(calls).sort((x, y) => this.offset[x]! - this.offset[y]!);
    const interner = new QualnameInterner();
    let i = 0;
    while (i < order.length) {
      const start = this.offset[order[i]!]!;
      let end = start + this.frameBytes[order[i]!]!;
      let j = i + 1;
      while (j < order.length) {
        const s = this.offset[order[j]!]!, e = s + this.frameBytes[order[j]!]!;
        if (s - end > COALESCE_GAP || e - start > MAX_RANGE) break;
        end = Math.max(end, e);
        j++;
      }
      const buf = await src.read(start, end);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      for (let k = i; k < j; k++) {
        const c = order[k]!;
        const body = this.offset[c]! - start + FRAME_PREFIX_BYTES;
        const env = readEnvelope(buf, body, this.offset[c]! - start + this.frameBytes[c]!, interner, view);
        const args = this.registry.decodeArgs(buf, env.argsStart, env.argsEnd, start).args;
        out.set(c, { t_mono: env.t_mono, t_wall: env.t_wall, qualname: env.qualname, args: () => args });
      }
      i = j;
    }
    return out;
  }
}

function missing(ri: number): never {
  throw new Error(`record ${ri} was not read back`);
}

function grow<T extends Float64Array | Uint32Array>(a: T, make: (n: number) => T): T {
  const next = make(a.length * 2);
  next.set(a);
  return next;
}
