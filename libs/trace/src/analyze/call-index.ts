import type { ObjectKey } from '../model.ts';
import { ArgScanner } from './arg-scan.ts';
import { f64Column, u16Column, u32Column, u8Column } from './growable.ts';
import { KeyTable } from './key-table.ts';
import { MethodTable } from './methods.ts';
import { compileQueryText, type QueryContext } from './query/compile.ts';
import { StringTable } from './string-table.ts';
import type { FilterQuery, KeyInfo, KeyShape } from './types.ts';

/** The parts of a record the index reads (TraceRecord and RecordView fit). */
export interface IndexableRecord {
  index: number;
  t_mono: number;
  qualname: string;
  args(): Record<string, unknown>;
}

/** A record that walks its own arguments for an index (RecordView.indexArgs): see IndexArgsSink in read/. */
export interface IndexArgsSource {
  indexArgs(sink: IndexArgsSink): void;
}

/** Structurally read/index-args.ts's IndexArgsSink (analyze/ does not import read/). */
export interface IndexArgsSink {
  keyList(name: string, count: number): void;
  key(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): void;
  value(name: string, v: unknown): void;
}

/**
 * Calls in load order (call index = position of add), built incrementally in the loading worker.
 * Per call: record index, method id, t_mono, text id, external_request_id id and its key ids
 * (CSR: keyOff/keyRefs). Per key (KeyTable): identity columns; its calls are a transposed CSR built
 * on first use, plus a scan of the calls added since (so live loading does not rebuild per query).
 * Model names, salts, request ids and argument texts are interned once: a text query tests each
 * distinct value once, then each candidate call with a table lookup, so it never walks strings
 * per call. Hash prefixes are matched on the key table (see KeyTable.matchHashPrefix).
 */
export class CallIndex {
  readonly keys = new KeyTable();
  readonly texts = new StringTable();
  readonly erids = new StringTable();
  private readonly recordIdx = u32Column(1 << 14);
  private readonly method = u16Column(1 << 14);
  private readonly time = f64Column(1 << 14);
  private readonly textId = u32Column(1 << 14);
  private readonly eridId = u32Column(1 << 14);
  private readonly shape = u8Column(1 << 14);
  /** Lock arguments (ArgScanner.extra, .opts): how many read locks a prefetch takes or a release gives back. */
  private readonly extra = u32Column(1 << 14);
  private readonly opts = u8Column(1 << 14);
  /** Per call, the trace (server) it came from, when several are indexed together (setSource). */
  private readonly source = u16Column(1 << 14);
  /** Names of the traces (servers), by source id. */
  readonly sources: string[] = [''];
  private current = 0;
  private readonly keyOff = u32Column(1 << 14);
  private readonly keyRefs = u32Column(1 << 16);
  /** Per key, 1 + the last call that referenced it: dedupes a key listed twice in one call. */
  private readonly lastCallOfKey = u32Column();
  private readonly scanner = new ArgScanner();
  private sortedByTime = true;
  private postOff: Uint32Array = new Uint32Array(1);
  private postCalls: Uint32Array = new Uint32Array(0);
  private postBuiltCalls = 0;
  private postBuiltKeys = 0;

  constructor(readonly methods: MethodTable = new MethodTable()) {
    this.keyOff.push(0);
  }

  get length(): number {
    return this.method.length;
  }

  addRecord(rec: IndexableRecord): number {
    return this.add(rec.index, this.methods.intern(rec.qualname), rec.t_mono, rec.args());
  }

  /** Adds one call (in load order) and returns its call index. */
  add(recordIndex: number, methodId: number, tMono: number, args: Record<string, unknown>): number {
    const call = this.method.length;
    const n = this.time.length;
    if (n > 0 && tMono < this.time.data[n - 1]!) this.sortedByTime = false;
    this.recordIdx.push(recordIndex);
    this.method.push(methodId);
    this.time.push(tMono);
    this.stamp = call + 1;
    this.scanner.scan(this.methods.shortName(methodId), args, this.onKey);
    this.textId.push(this.texts.intern(this.scanner.text));
    this.eridId.push(this.scanner.erid === '' ? 0 : this.erids.intern(this.scanner.erid));
    this.shape.push(this.scanner.shape);
    this.extra.push(this.scanner.extra);
    this.opts.push(this.scanner.opts);
    this.source.push(this.current);
    this.keyOff.push(this.keyRefs.length);
    return call;
  }

  /**
   * add() for a record that walks its own argument bytes (RecordView.indexArgs): ObjectKeys are
   * interned from the buffer without being built. Same result as add(..., rec.decodeArgs()); if
   * the arguments are malformed it throws, as decodeArgs() does, before anything is added.
   */
  addIndexed(recordIndex: number, methodId: number, tMono: number, rec: IndexArgsSource): number {
    const sc = this.scanner;
    sc.begin(this.methods.shortName(methodId));
    this.pendingKeys = 0;
    this.stamp = this.method.length + 1;
    try {
      rec.indexArgs(this.sink);
    } catch (e) {
      // The record view reports nothing before its bytes check out; undo what a sink error left.
      this.keyRefs.resize(this.keyRefs.length - this.pendingKeys);
      throw e;
    }
    sc.end();
    const call = this.method.length;
    const len = this.time.length;
    if (len > 0 && tMono < this.time.data[len - 1]!) this.sortedByTime = false;
    this.recordIdx.push(recordIndex);
    this.method.push(methodId);
    this.time.push(tMono);
    this.textId.push(this.texts.intern(sc.text));
    this.eridId.push(sc.erid === '' ? 0 : this.erids.intern(sc.erid));
    this.shape.push(sc.shape);
    this.extra.push(sc.extra);
    this.opts.push(sc.opts);
    this.source.push(this.current);
    this.keyOff.push(this.keyRefs.length);
    return call;
  }

  private pendingKeys = 0;
  /** The call being added, plus one: marks its keys in lastCallOfKey. */
  private stamp = 0;

  private readonly sink: IndexArgsSink = {
    keyList: (name) => this.scanner.keyList(name),
    key: (buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt) =>
      this.addKeyId(this.keys.internParts(buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt)),
    value: (name, v) => this.scanner.arg(name, v, this.onKey),
  };

  private readonly onKey = (k: ObjectKey): void => this.addKeyId(this.keys.intern(k));

  private addKeyId(id: number): void {
    const stamp = this.stamp;
    if (id >= this.lastCallOfKey.length) this.lastCallOfKey.resize(id + 1);
    if (this.lastCallOfKey.data[id] === stamp) return;
    this.lastCallOfKey.data[id] = stamp;
    this.keyRefs.push(id);
    this.pendingKeys++;
  }

  recordIndexOf(call: number): number {
    return this.recordIdx.data[call]!;
  }
  methodOf(call: number): number {
    return this.method.data[call]!;
  }
  timeOf(call: number): number {
    return this.time.data[call]!;
  }
  textOf(call: number): string {
    return this.texts.get(this.textId.data[call]!);
  }
  /** The call's external_request_id as an id of `erids` (0: none). */
  eridIdOf(call: number): number {
    return this.eridId.data[call]!;
  }
  externalRequestIdOf(call: number): string {
    return this.erids.get(this.eridId.data[call]!);
  }
  keyShapeOf(call: number): KeyShape {
    return this.shape.data[call]! as KeyShape;
  }
  /**
   * The calls added from now on come from trace `name` (a server): its keys are its own objects,
   * apart from the same ObjectKeys of another trace, so each storage manager's locks stay apart.
   * Returns the source id.
   */
  setSource(name: string): number {
    let id = this.sources.indexOf(name);
    if (id < 0) {
      if (this.sources.length === 1 && this.length === 0) this.sources[0] = name;
      else this.sources.push(name);
      id = this.sources.indexOf(name);
    }
    this.current = id;
    this.keys.source = id;
    return id;
  }
  /** The source id (setSource) of a call; 0 for a single trace. */
  sourceOf(call: number): number {
    return this.source.data[call]!;
  }

  /** `extra_count` of a prefetch or release call (0 when absent). */
  extraCountOf(call: number): number {
    return this.extra.data[call]!;
  }
  /** LockOpt bits of a prefetch call. */
  lockOptsOf(call: number): number {
    return this.opts.data[call]!;
  }
  keyCountOf(call: number): number {
    return this.keyOff.data[call + 1]! - this.keyOff.data[call]!;
  }
  /** A view of the call's key ids (valid until the next add; copy to keep). */
  keysOfCall(call: number): Uint32Array {
    return this.keyRefs.data.subarray(this.keyOff.data[call]!, this.keyOff.data[call + 1]!);
  }

  /** Live views of the per-call columns (valid until the next add), for stats and exports. */
  columns(): { method: Uint16Array; time: Float64Array; recordIndex: Uint32Array; keyOff: Uint32Array; keyRefs: Uint32Array } {
    return {
      method: this.method.view(),
      time: this.time.view(),
      recordIndex: this.recordIdx.view(),
      keyOff: this.keyOff.view(),
      keyRefs: this.keyRefs.view(),
    };
  }

  keyIdOf(k: ObjectKey): number {
    return this.keys.idOf(k);
  }
  keyInfo(keyId: number): KeyInfo {
    return this.keys.info(keyId, this.callsOfKey(keyId).length);
  }

  /** The calls touching a key, ascending; a new array the caller owns (transferable). */
  callsOfKey(keyId: number): Uint32Array {
    if (keyId < 0 || keyId >= this.keys.size) return new Uint32Array(0);
    this.ensurePostings();
    const base = keyId < this.postBuiltKeys ? this.postCalls.subarray(this.postOff[keyId]!, this.postOff[keyId + 1]!) : new Uint32Array(0);
    const n = this.length;
    if (this.postBuiltCalls === n) return base.slice();
    const tail: number[] = [];
    const off = this.keyOff.data, refs = this.keyRefs.data;
    for (let c = this.postBuiltCalls; c < n; c++) {
      for (let j = off[c]!, e = off[c + 1]!; j < e; j++) {
        if (refs[j] === keyId) {
          tail.push(c);
          break;
        }
      }
    }
    const out = new Uint32Array(base.length + tail.length);
    out.set(base);
    out.set(tail, base.length);
    return out;
  }

  /** Rebuilds the key->calls CSR when the calls added since the last build exceed 1/8 of it. */
  private ensurePostings(): void {
    const n = this.length;
    const pending = n - this.postBuiltCalls;
    if (pending === 0 || (this.postBuiltCalls > 0 && pending <= Math.max(4096, this.postBuiltCalls >> 3))) return;
    const nk = this.keys.size;
    const off = this.keyOff.data, refs = this.keyRefs.data;
    const total = off[n]!;
    const postOff = new Uint32Array(nk + 1);
    for (let j = 0; j < total; j++) postOff[refs[j]! + 1]!++;
    for (let k = 0; k < nk; k++) postOff[k + 1]! += postOff[k]!;
    const fill = postOff.slice(0, nk);
    const postCalls = new Uint32Array(total);
    for (let c = 0; c < n; c++) for (let j = off[c]!, e = off[c + 1]!; j < e; j++) postCalls[fill[refs[j]!]!++] = c;
    this.postOff = postOff;
    this.postCalls = postCalls;
    this.postBuiltCalls = n;
    this.postBuiltKeys = nk;
  }

  /**
   * Call indices matching every part of the query, ascending; a new array the caller owns
   * (transferable). `q.text` is the query language (analyze/query/): a wrong query throws a
   * QueryError with the offsets of the part at fault. `ctx` lends it the request spans for `dur`.
   */
  filter(q: FilterQuery, ctx: Omit<QueryContext, 'index'> = {}): Uint32Array {
    const n = this.length;
    const time = this.time.data;
    const t0 = q.t0 ?? -Infinity, t1 = q.t1 ?? Infinity;
    let lo = 0, hi = n;
    if (this.sortedByTime) {
      lo = lowerBound(time, n, t0);
      hi = upperBound(time, n, t1);
    }
    const timeCheck = !this.sortedByTime && (q.t0 !== undefined || q.t1 !== undefined);
    let mask: Uint8Array | null = null;
    if (q.methods != null) {
      mask = new Uint8Array(Math.max(this.methods.size, 1));
      for (const m of q.methods) if (m >= 0 && m < mask.length) mask[m] = 1;
    }
    const methodCol = this.method.data;
    let query: ((c: number) => boolean) | null = null;
    if (q.text !== undefined && q.text.trim() !== '') {
      const columns = { method: methodCol, time, textId: this.textId.data, eridId: this.eridId.data, keyOff: this.keyOff.data, keyRefs: this.keyRefs.data, source: this.source.data };
      const compiled = compileQueryText(q.text, {
        // Every span reader the caller lends (dur, and the phases wait/body/release/write).
        ...ctx,
        index: { length: n, methods: this.methods, texts: this.texts, erids: this.erids, keys: this.keys, sources: this.sources, columns },
      });
      if (compiled === false) return new Uint32Array(0);
      if (compiled !== true) query = compiled;
    }

    const test = (c: number): boolean => {
      if (mask !== null && mask[methodCol[c]!] !== 1) return false;
      if (timeCheck && !(time[c]! >= t0 && time[c]! <= t1)) return false;
      return query === null || query(c);
    };

    if (q.keyId !== undefined) {
      const calls = this.callsOfKey(q.keyId);
      let k = 0;
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        if (c >= lo && c < hi && test(c)) calls[k++] = c;
      }
      return calls.slice(0, k);
    }
    if (mask === null && !timeCheck && query === null) {
      const out = new Uint32Array(Math.max(0, hi - lo));
      for (let i = 0; i < out.length; i++) out[i] = lo + i;
      return out;
    }
    const out = new Uint32Array(Math.max(0, hi - lo));
    let k = 0;
    for (let c = lo; c < hi; c++) if (test(c)) out[k++] = c;
    return out.slice(0, k);
  }
}

function lowerBound(a: Float64Array, n: number, v: number): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(a: Float64Array, n: number, v: number): number {
  let lo = 0, hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
