import type { ObjectKey } from '../model.ts';
import { ArgScanner } from './arg-scan.ts';
import { f64Column, halfEmptyTableSize, TRIM_SLACK, u16Column, u32Column, u8Column, WideningColumn, type Column } from './growable.ts';
import { KeyTable, type KeyTablePart } from './key-table.ts';
import { MethodTable } from './methods.ts';
import { compileQueryText, type QueryContext } from './query/compile.ts';
import { SparseColumn } from './sparse-column.ts';
import { StringTable, type StringsPart } from './string-table.ts';
import { KeyShape, type FilterQuery, type KeyInfo } from './types.ts';

/**
 * Views of key lists keysOfCall keeps (a power of two). Each miss allocates a view: with 64, the
 * merge of the bench's 1M-call file (~95k distinct lists) made ~20 B of them a call.
 */
const LIST_VIEWS = 1024;
const NO_VIEW = new Uint32Array(0);

/** A key list's hash, over its key ids (open addressing in CallIndex.listSlots). */
function listHash(d: Uint32Array, start: number, end: number): number {
  let h = Math.imul(end - start, 0x9e3779b1);
  for (let i = start; i < end; i++) h = Math.imul(h ^ d[i]!, 0x85ebca6b) ^ (h >>> 13);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Puts list `id` in the first free slot from its hash on (the table is never full: see internList). */
function putSlot(slots: Int32Array, h: number, id: number): void {
  for (let i = h & (slots.length - 1); ; i = (i + 1) & (slots.length - 1)) {
    if (slots[i] === 0) {
      slots[i] = id + 1;
      return;
    }
  }
}

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

/** A record as readers yield it (TraceRecord, RecordView, AlignedRecord): see CallIndex.addTraceRecord. */
export type TraceRecordLike = IndexableRecord & { decodeArgs?(): Record<string, unknown>; indexArgs?: IndexArgsSource['indexArgs'] };

/**
 * The calls of a run of records indexed apart (a shard: CallIndex.toPart), with their own method,
 * text, request-id and key tables: what a worker hands to the thread that merges shards. Plain
 * typed arrays and string lists (structured clone; `partBuffers` lists what to transfer).
 */
export interface CallIndexPart {
  count: number;
  /** Qualnames by the part's method ids. */
  methods: string[];
  /** Few methods in a trace (~20 in LMCache's StorageManager): 1 B a call until there are more. */
  method: Uint8Array | Uint16Array | Uint32Array;
  /** t_mono as read (a merged set's alignment is the merger's). */
  time: Float64Array;
  texts: string[];
  /** Few distinct argument texts in a trace (7 in the 1M-call bench file): 1 B a call until there are more. */
  textId: Uint8Array | Uint16Array | Uint32Array;
  /** Request ids by the part's ids, as bytes (StringTable.toPart). */
  erids: StringsPart;
  eridId: Uint32Array;
  shape: Uint8Array;
  opts: Uint8Array;
  extra: Uint8Array | Uint16Array | Uint32Array;
  /** Per call, its key list (an id into listOff; 0: no keys). */
  keyList: Uint32Array;
  /** Key list L is keyRefs[listOff[L], listOff[L + 1]). */
  listOff: Uint32Array;
  keyRefs: Uint32Array;
  keys: KeyTablePart;
  /** Calls whose arguments did not decode (each indexed as a call without keys). */
  undecodedArgs: number;
}

/** The buffers of a part, to transfer it instead of copying. */
export function partBuffers(p: CallIndexPart): ArrayBuffer[] {
  const k = p.keys;
  return [p.method, p.time, p.textId, p.erids.pool, p.erids.off, p.eridId, p.shape, p.opts, p.extra, p.keyList, p.listOff, p.keyRefs, k.hashPool, k.hashOff, k.cls, k.classModel, k.classSalt, k.classRank, k.classGroup, k.classSrc].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** A part being merged (CallIndex.openPart): the part and what its ids are here, learnt as calls are added. */
export class PartCursor {
  readonly methodIds: Int32Array;
  readonly textIds: Int32Array;
  readonly eridIds: Int32Array;
  readonly keyIds: Int32Array;
  readonly modelIds: Int32Array;
  readonly saltIds: Int32Array;
  /** The part's key lists as lists here (-1: not met yet). */
  readonly listIds: Int32Array;
  constructor(readonly part: CallIndexPart) {
    this.methodIds = new Int32Array(part.methods.length).fill(-1);
    this.textIds = new Int32Array(part.texts.length).fill(-1);
    this.eridIds = new Int32Array(part.erids.off.length - 1).fill(-1);
    this.keyIds = new Int32Array(part.keys.size).fill(-1);
    this.modelIds = new Int32Array(part.keys.models.length).fill(-1);
    this.saltIds = new Int32Array(part.keys.salts.length).fill(-1);
    this.listIds = new Int32Array(Math.max(0, part.listOff.length - 1)).fill(-1);
    this.listIds[0] = 0;
  }
}

/**
 * Calls in load order (call index = position of add), built incrementally in the loading worker.
 * Per call: method id, t_mono, text id, external_request_id id, lock arguments and its key list
 * (an id: each distinct list of key ids is kept once, CSR listOff/keyRefs, found again by a hash
 * table over typed arrays); the record index and the trace (source) only once
 * they stop being the call index and 0. Per key (KeyTable): identity in typed arrays; its calls
 * are a transposed CSR built on first use, plus a scan of the calls added since (so live loading
 * does not rebuild per query). Model names, salts, request ids and argument texts are interned
 * once: a text query tests each distinct value once, then each candidate call with a table
 * lookup, so it never walks strings per call. Hash prefixes are matched on the key table.
 *
 * Per call (1M calls x 4 keys): method 1 B and text id 1 (both widen past 256), t_mono 8, request
 * id ~2.2 (8 B for each call that has one: 0.28 of them), shape 1, lock options 1, extra_count 1
 * (widens if needed), key list 4; and 4 B per key of each distinct list
 * (a trace repeats its lists: 10.5x fewer key ids than calls list in the 1M-call bench file, 6.9x
 * in the production-size one); growth slack ~10% (growable.ts) until trim().
 *
 * Several workers can index runs of a trace apart (toPart) and one index takes their calls back
 * in trace order (openPart/addFromPart): ids are given in order of first use, so the merged index
 * is the one a single add() per record builds, column for column.
 */
export class CallIndex {
  readonly keys = new KeyTable();
  readonly texts = new StringTable();
  readonly erids = new StringTable();
  /** Record index of each call; null while it is the call index (one trace read from its start). */
  private recordIdx: Column<Uint32Array> | null = null;
  private readonly method = new WideningColumn(1 << 14);
  private readonly time = f64Column(1 << 14);
  private readonly textId = new WideningColumn(1 << 14);
  /** Only submit_prefetch_task has an external_request_id: kept for the calls that have one (sparse-column.ts). */
  private readonly eridId = new SparseColumn();
  private readonly shape = u8Column(1 << 14);
  /** Lock arguments (ArgScanner.extra, .opts): how many read locks a prefetch takes or a release gives back. */
  private readonly extra = new WideningColumn(1 << 14);
  private readonly opts = u8Column(1 << 14);
  /** Per call, the trace (server) it came from when several are indexed together (setSource); null while all are 0. */
  private source: Column<Uint16Array> | null = null;
  /** Names of the traces (servers), by source id. */
  readonly sources: string[] = [''];
  private current = 0;
  /** Per call, its key list: calls repeat lists (a write's finish, a read's release, a hit), so each distinct list is kept once. */
  private readonly keyList = u32Column(1 << 14);
  /** Key list L is keyRefs[listOff[L], listOff[L + 1]); list 0 is the empty list. */
  private readonly listOff = u32Column(1 << 12);
  private readonly keyRefs = u32Column(1 << 14);
  /** Open-addressing table of the key lists by their keys: list id + 1, 0 empty. */
  private listSlots: Int32Array = new Int32Array(halfEmptyTableSize(0, 1 << 12));
  /** Per key, 1 + the last call that referenced it: dedupes a key listed twice in one call. */
  private readonly lastCallOfKey = u32Column();
  private readonly scanner = new ArgScanner();
  private sortedByTime = true;
  private postOff: Uint32Array = new Uint32Array(1);
  private postCalls: Uint32Array = new Uint32Array(0);
  private postBuiltCalls = 0;
  private postBuiltKeys = 0;
  /** Calls added whose arguments did not decode (addTraceRecord; parts merged count theirs). */
  undecodedArgs = 0;

  constructor(readonly methods: MethodTable = new MethodTable()) {
    this.listOff.push(0);
    this.listOff.push(0);
  }

  get length(): number {
    return this.method.length;
  }

  addRecord(rec: IndexableRecord): number {
    return this.add(rec.index, this.methods.intern(rec.qualname), rec.t_mono, rec.args());
  }

  /**
   * Any record as a reader yields it: one that can walk its own argument bytes (RecordView) is
   * indexed without building its ObjectKeys, others are decoded. Arguments that do not decode
   * (reported by the reader) still make a call, so call numbers stay record numbers; it lists no
   * keys and takes part in no request.
   */
  addTraceRecord(rec: TraceRecordLike): number {
    const m = this.methods.intern(rec.qualname);
    try {
      if (typeof rec.indexArgs === 'function') return this.addIndexed(rec.index, m, rec.t_mono, rec as IndexArgsSource);
      return this.add(rec.index, m, rec.t_mono, rec.decodeArgs ? rec.decodeArgs() : rec.args());
    } catch {
      this.undecodedArgs++;
      return this.add(rec.index, m, rec.t_mono, {});
    }
  }

  /** Adds one call (in load order) and returns its call index. */
  add(recordIndex: number, methodId: number, tMono: number, args: Record<string, unknown>): number {
    this.pendingKeys = 0;
    this.stamp = this.method.length + 1;
    this.scanner.scan(this.methods.shortName(methodId), args, this.onKey);
    return this.pushCall(recordIndex, methodId, tMono);
  }

  /**
   * add() for a record that walks its own argument bytes (RecordView.indexArgs): ObjectKeys are
   * interned from the buffer without being built. Same result as add(..., rec.decodeArgs()); if
   * the arguments are malformed it throws, as decodeArgs() does, before anything is added.
   *
   * The walk's arguments are gathered, then taken in argument order (keys interned in the order
   * add() would intern them): a call whose other arguments are those of the last call of its method
   * (the same values: the reader hands out one object for byte-identical containers) has that
   * call's text, shape and lock options, and only its external_request_id is read (see ArgMemo). A
   * trace repeats a handful of argument lists, so the text is built and interned once per list.
   */
  addIndexed(recordIndex: number, methodId: number, tMono: number, rec: IndexArgsSource): number {
    this.pendingKeys = 0;
    this.stamp = this.method.length + 1;
    const g = this.gathered;
    this.nGathered = 0;
    this.nk = 0;
    this.kBuf = null;
    // The walk reports nothing before the record's bytes check out (it throws as decodeArgs would,
    // and nothing is added): everything is taken in below, in argument order, as add() takes it.
    rec.indexArgs(this.sink);
    const memo = (this.memos[methodId] ??= new ArgMemo());
    const n = this.nGathered;
    const hit = memo.matches(g, n);
    const sc = this.scanner;
    if (!hit) sc.begin(this.methods.shortName(methodId));
    this.embedded = 0;
    let k = 0;
    try {
      for (let i = 0; i < n; i += 2) {
        const v = g[i + 1];
        if (v === KEY_LIST) {
          if (!hit) sc.keyList(g[i] as string);
          for (let e = k + this.kCount[i >> 1]!; k < e; k++)
            this.addKeyId(this.keys.internParts(this.kBuf!, this.kStart[k]!, this.kLen[k]!, this.kModel[k]!, this.kRank[k]!, this.kGroup[k]!, this.kSalt[k]!));
        } else if (!hit) sc.arg(g[i] as string, v, this.onKey);
      }
    } catch (e) {
      this.keyRefs.resize(this.keyRefs.length - this.pendingKeys);
      throw e;
    }
    let erid: string;
    if (hit) erid = memo.eridOf(g, n);
    else {
      sc.end();
      erid = sc.erid;
      memo.remember(g, n, this.texts.intern(sc.text), sc, this.embedded);
    }
    const call = this.method.length;
    this.pushHead(call, recordIndex, methodId, tMono);
    this.textId.push(memo.textId);
    this.eridId.push(erid === '' ? 0 : this.erids.intern(erid));
    this.shape.push(memo.shape);
    this.extra.push(memo.extra);
    this.opts.push(memo.opts);
    this.keyList.push(this.internList(this.keyRefs.length - this.pendingKeys));
    return call;
  }

  /**
   * The current call's arguments as (name, value) pairs, KEY_LIST for a key list (addIndexed): the
   * first `nGathered` entries. Never emptied by `length = 0`: V8 then gives the array a new backing
   * store at the next push, garbage on every call (see IndexArgsScanner).
   */
  private readonly gathered: unknown[] = [];
  private nGathered = 0;
  /** Per pair of `gathered`, the keys of a key list (taken from kStart.. in order). */
  private kCount = new Int32Array(64);
  // The key lists' keys of the current call: hash at kBuf[kStart, kStart + kLen) and the other fields.
  private kBuf: Uint8Array | null = null;
  private kStart = new Int32Array(256);
  private kLen = new Int32Array(256);
  private kRank = new Float64Array(256);
  private kGroup = new Float64Array(256);
  private readonly kModel: string[] = [];
  private readonly kSalt: string[] = [];
  private nk = 0;
  /** Per method id, its last argument list's scan (addIndexed). */
  private readonly memos: ArgMemo[] = [];

  private gatherKey(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): void {
    if (this.kBuf !== buf) {
      // Every key of one record is in that record's buffer.
      if (this.kBuf !== null) throw new Error('keys of one record in two buffers');
      this.kBuf = buf;
    }
    const k = this.nk++;
    if (k === this.kStart.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.kStart = grow(this.kStart, (n) => new Int32Array(n));
      this.kLen = grow(this.kLen, (n) => new Int32Array(n));
      this.kRank = grow(this.kRank, (n) => new Float64Array(n));
      this.kGroup = grow(this.kGroup, (n) => new Float64Array(n));
    }
    this.kStart[k] = hashStart;
    this.kLen[k] = hashLen;
    this.kRank[k] = kvRank;
    this.kGroup[k] = objectGroupId;
    this.kModel[k] = modelName;
    this.kSalt[k] = cacheSalt;
    const pair = (this.nGathered >> 1) - 1;
    this.kCount[pair]!++;
  }

  private gatherPair(name: string, v: unknown): void {
    const pair = this.nGathered >> 1;
    if (pair === this.kCount.length) {
      const b = new Int32Array(pair * 2);
      b.set(this.kCount);
      this.kCount = b;
    }
    this.kCount[pair] = 0;
    this.gathered[this.nGathered++] = name;
    this.gathered[this.nGathered++] = v;
  }

  /** The per-call columns of a call whose keys are in keyRefs and whose arguments are in the scanner. */
  private pushCall(recordIndex: number, methodId: number, tMono: number): number {
    const sc = this.scanner;
    const call = this.method.length;
    this.pushHead(call, recordIndex, methodId, tMono);
    this.textId.push(this.texts.intern(sc.text));
    this.eridId.push(sc.erid === '' ? 0 : this.erids.intern(sc.erid));
    this.shape.push(sc.shape);
    this.extra.push(sc.extra);
    this.opts.push(sc.opts);
    this.keyList.push(this.internList(this.keyRefs.length - this.pendingKeys));
    return call;
  }

  private pushHead(call: number, recordIndex: number, methodId: number, tMono: number): void {
    const n = this.time.length;
    if (n > 0 && tMono < this.time.data[n - 1]!) this.sortedByTime = false;
    if (this.recordIdx !== null) this.recordIdx.push(recordIndex);
    else if (recordIndex !== call) {
      const col = (this.recordIdx = u32Column(Math.max(1 << 14, call + 1)));
      for (let c = 0; c < call; c++) col.push(c);
      col.push(recordIndex);
    }
    this.method.push(methodId);
    this.time.push(tMono);
    if (this.source !== null) this.source.push(this.current);
    else if (this.current !== 0) {
      const col = (this.source = u16Column(Math.max(1 << 14, call + 1)));
      col.resize(call);
      col.push(this.current);
    }
  }

  private pendingKeys = 0;
  /** The call being added, plus one: marks its keys in lastCallOfKey. */
  private stamp = 0;

  private readonly sink: IndexArgsSink = {
    keyList: (name) => this.gatherPair(name, KEY_LIST),
    key: (buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt) => this.gatherKey(buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt),
    value: (name, v) => this.gatherPair(name, v),
  };

  private readonly onKey = (k: ObjectKey): void => {
    this.embedded++;
    this.addKeyId(this.keys.intern(k));
  };
  /** Keys found inside argument values (not key lists) by the current scan. */
  private embedded = 0;

  private addKeyId(id: number): void {
    const stamp = this.stamp;
    if (id >= this.lastCallOfKey.length) this.lastCallOfKey.resize(id + 1);
    if (this.lastCallOfKey.data[id] === stamp) return;
    this.lastCallOfKey.data[id] = stamp;
    this.keyRefs.push(id);
    this.pendingKeys++;
  }

  /**
   * This index's calls as a part (copies at their exact length), for another index to merge
   * (openPart/addFromPart). Meant for an index of one run of one trace, its record indices and
   * sources being the merger's business.
   */
  toPart(): CallIndexPart {
    return {
      count: this.length,
      methods: this.methods.qualnames(),
      method: this.method.data.slice(0, this.length),
      time: this.time.trimmed(),
      texts: [...this.texts.values],
      textId: this.textId.data.slice(0, this.length),
      erids: this.erids.toPart(),
      eridId: this.eridId.dense(),
      shape: this.shape.trimmed(),
      opts: this.opts.trimmed(),
      extra: this.extra.data.slice(0, this.length),
      keyList: this.keyList.trimmed(),
      listOff: this.listOff.trimmed(),
      keyRefs: this.keyRefs.trimmed(),
      keys: this.keys.toPart(),
      undecodedArgs: this.undecodedArgs,
    };
  }

  /** Starts merging a part: its calls are then added, in trace order, with addFromPart. */
  openPart(part: CallIndexPart): PartCursor {
    this.undecodedArgs += part.undecodedArgs;
    return new PartCursor(part);
  }

  /**
   * Adds call `j` of an open part as the next call, in the current source (setSource), with its
   * record index, its t_mono moved by `shift` (a merged set's alignment; 0 for one trace): the same
   * columns add() would have made from the record itself. Ids the part has not used yet are
   * interned now, so they follow the order of first use. The time is read here, not passed in: a
   * double passed to a call that is not inlined is boxed, a 16 B object per merged call.
   */
  addFromPart(cur: PartCursor, j: number, recordIndex: number, shift: number): number {
    const p = cur.part;
    const call = this.method.length;
    const tm = p.time[j]!;
    const tMono = shift === 0 ? tm : shift + tm;
    const pm = p.method[j]!;
    let m = cur.methodIds[pm]!;
    if (m < 0) m = cur.methodIds[pm] = this.methods.intern(p.methods[pm]!);
    this.pushHead(call, recordIndex, m, tMono);
    const pt = p.textId[j]!;
    let t = cur.textIds[pt]!;
    if (t < 0) t = cur.textIds[pt] = this.texts.intern(p.texts[pt]!);
    this.textId.push(t);
    const pe = p.eridId[j]!;
    let e = cur.eridIds[pe]!;
    if (e < 0) e = cur.eridIds[pe] = pe === 0 ? 0 : this.erids.internFrom(p.erids, pe);
    this.eridId.push(e);
    this.shape.push(p.shape[j]!);
    this.extra.push(p.extra[j]!);
    this.opts.push(p.opts[j]!);
    const pl = p.keyList[j]!;
    let list = cur.listIds[pl]!;
    if (list < 0) {
      // The first call of the part with this list: its keys get their ids here (in order of first
      // use, as add() would give them), then the list is looked up among the lists here.
      const refs = p.keyRefs, ids = cur.keyIds, start = this.keyRefs.length;
      for (let r = p.listOff[pl]!, end = p.listOff[pl + 1]!; r < end; r++) {
        const lk = refs[r]!;
        let g = ids[lk]!;
        if (g < 0) g = ids[lk] = this.keys.internFromPart(p.keys, lk, cur.modelIds, cur.saltIds);
        this.keyRefs.push(g);
      }
      list = cur.listIds[pl] = this.internList(start);
    }
    this.keyList.push(list);
    return call;
  }

  /**
   * Room for exactly `calls` calls in all, so a merge of known size neither grows its per-call
   * columns by steps nor copies them again in trim(). (The distinct key lists, a fraction of the
   * calls' keys, grow as they come.)
   */
  reserve(calls: number): void {
    for (const c of [this.method, this.time, this.textId, this.shape, this.opts, this.keyList, this.extra]) c.reserveExact(calls);
  }

  /**
   * The id of the key list the current call just appended at keyRefs[start, end): an equal list
   * kept before (whose id it returns, dropping the copy), or this one as a new list.
   */
  private internList(start: number): number {
    const refs = this.keyRefs, end = refs.length;
    if (end === start) return 0;
    const d = refs.data;
    const h = listHash(d, start, end);
    const off = this.listOff.data;
    // Dropped by trim (a complete trace): calls came again after all (a test, or a caller that trims early).
    if (this.listSlots.length === 0) this.listSlots = this.rehashLists(halfEmptyTableSize(this.listOff.length, 1 << 12));
    let slots = this.listSlots;
    const len = end - start;
    for (let i = h & (slots.length - 1); ; i = (i + 1) & (slots.length - 1)) {
      const v = slots[i]!;
      if (v === 0) break;
      const l = v - 1, a = off[l]!;
      if (off[l + 1]! - a !== len) continue;
      let same = true;
      for (let k = 0; k < len; k++) {
        if (d[a + k] !== d[start + k]) {
          same = false;
          break;
        }
      }
      if (same) {
        refs.resize(start);
        return l;
      }
    }
    const id = this.listOff.length - 1;
    this.listOff.push(end);
    if (id * 2 >= slots.length) slots = this.listSlots = this.rehashLists(slots.length * 2);
    putSlot(slots, h, id);
    return id;
  }

  private rehashLists(size: number): Int32Array {
    const slots = new Int32Array(size), off = this.listOff.data, d = this.keyRefs.data;
    for (let l = 1; l < this.listOff.length - 1; l++) putSlot(slots, listHash(d, off[l]!, off[l + 1]!), l);
    return slots;
  }

  /**
   * Gives back the columns' growth slack, and the key-list table and the request ids' hash slots,
   * which only adding calls needs (~1 and ~2 B a call; rebuilt if calls come again after all): the
   * trace is complete.
   */
  trim(): void {
    for (const c of [this.method, this.time, this.textId, this.eridId, this.shape, this.opts, this.keyList, this.listOff, this.keyRefs, this.extra]) c.trim(TRIM_SLACK);
    this.listSlots = new Int32Array(0);
    // keysOfCall's kept views are of the buffers before the trim: let them go now.
    this.dropKeptViews(null);
    this.recordIdx?.trim();
    this.source?.trim();
    this.keys.trim();
    this.erids.trim();
  }

  /** Bytes held by the per-call columns (capacity: what memory pays), for the READMEs' figures. */
  get byteLength(): number {
    let n = this.extra.byteLength + (this.recordIdx?.byteLength ?? 0) + (this.source?.byteLength ?? 0);
    for (const c of [this.method, this.time, this.textId, this.eridId, this.shape, this.opts, this.keyList, this.listOff, this.keyRefs, this.lastCallOfKey]) n += c.byteLength;
    return n + this.listSlots.byteLength;
  }

  recordIndexOf(call: number): number {
    return this.recordIdx === null ? call : this.recordIdx.data[call]!;
  }
  methodOf(call: number): number {
    return this.method.data[call]!;
  }
  timeOf(call: number): number {
    return this.time.data[call]!;
  }
  /** Every call's t_mono: a view of the column (valid until the next call is added). */
  times(): Float64Array {
    return this.time.view();
  }
  textOf(call: number): string {
    return this.texts.get(this.textId.data[call]!);
  }
  /** The call's external_request_id as an id of `erids` (0: none). */
  eridIdOf(call: number): number {
    return this.eridId.get(call);
  }
  externalRequestIdOf(call: number): string {
    return this.erids.get(this.eridId.get(call));
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
    return this.source === null ? 0 : this.source.data[call]!;
  }

  /** `extra_count` of a prefetch or release call (0 when absent). */
  extraCountOf(call: number): number {
    return this.extra.data[call]!;
  }
  /** LockOpt bits of a prefetch call. */
  lockOptsOf(call: number): number {
    return this.opts.data[call]!;
  }
  /** The call's key list id: calls with equal lists (same keys, same order) have the same id. */
  listOfCall(call: number): number {
    return this.keyList.data[call]!;
  }
  keyCountOf(call: number): number {
    const l = this.keyList.data[call]!;
    return this.listOff.data[l + 1]! - this.listOff.data[l]!;
  }
  /**
   * A view of the call's key ids (valid until the next add; copy to keep; never write to it). The
   * request tracker asks for the lists of the calls around the one it adds, again and again: views
   * of recent lists are kept (a list never changes once stored), so most asks allocate nothing.
   */
  keysOfCall(call: number): Uint32Array {
    const l = this.keyList.data[call]!;
    const refs = this.keyRefs.data;
    // keyRefs moved (grown): views of the old buffer would keep it alive.
    if (refs.buffer !== this.viewsOf) this.dropKeptViews(refs.buffer);
    const slot = l & (LIST_VIEWS - 1);
    if (this.viewList[slot] === l) return this.views[slot]!;
    const v = refs.subarray(this.listOff.data[l]!, this.listOff.data[l + 1]!);
    this.viewList[slot] = l;
    this.views[slot] = v;
    return v;
  }
  /** keysOfCall's views of recent lists, by list id modulo LIST_VIEWS, and the keyRefs buffer they view. */
  private readonly viewList = new Int32Array(LIST_VIEWS).fill(-1);
  private readonly views: Uint32Array[] = new Array<Uint32Array>(LIST_VIEWS).fill(NO_VIEW);
  private viewsOf: ArrayBufferLike | null = null;
  private dropKeptViews(of: ArrayBufferLike | null): void {
    this.viewList.fill(-1);
    this.views.fill(NO_VIEW);
    this.viewsOf = of;
  }

  /** Live views of the per-call columns (valid until the next add), for stats and exports. */
  columns(): { method: Uint8Array | Uint16Array | Uint32Array; time: Float64Array; keyList: Uint32Array; listOff: Uint32Array; keyRefs: Uint32Array } {
    return {
      method: this.method.data.subarray(0, this.length),
      time: this.time.view(),
      keyList: this.keyList.view(),
      listOff: this.listOff.view(),
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
    const list = this.keyList.data, off = this.listOff.data, refs = this.keyRefs.data;
    for (let c = this.postBuiltCalls; c < n; c++) {
      const l = list[c]!;
      for (let j = off[l]!, e = off[l + 1]!; j < e; j++) {
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
    const list = this.keyList.data, off = this.listOff.data, refs = this.keyRefs.data;
    const postOff = new Uint32Array(nk + 1);
    let total = 0;
    for (let c = 0; c < n; c++) {
      const l = list[c]!;
      for (let j = off[l]!, e = off[l + 1]!; j < e; j++) postOff[refs[j]! + 1]!++;
      total += off[l + 1]! - off[l]!;
    }
    for (let k = 0; k < nk; k++) postOff[k + 1]! += postOff[k]!;
    const fill = postOff.slice(0, nk);
    const postCalls = new Uint32Array(total);
    for (let c = 0; c < n; c++) {
      const l = list[c]!;
      for (let j = off[l]!, e = off[l + 1]!; j < e; j++) postCalls[fill[refs[j]!]!++] = c;
    }
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
      // No source column while every call is of source 0: zeros, made only for a query that reads them.
      const source = this.source?.data ?? new Uint16Array(this.sources.length > 1 ? n : 0);
      const columns = { method: methodCol, time, textId: this.textId.data, eridId: this.eridId, keyList: this.keyList.data, listOff: this.listOff.data, keyRefs: this.keyRefs.data, source };
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

/** Marks a key list among gathered arguments (CallIndex.addIndexed). */
const KEY_LIST: unique symbol = Symbol('key list');
const ERID = 'external_request_id';

/**
 * The scan of one argument list, for the next call with the same list. Lists are equal when every
 * name is and every value is the same value (===: one object for byte-identical containers, equal
 * primitives), except a string external_request_id, which the scan takes apart (never into the
 * text) and which is read from each call. A scan whose request id came from elsewhere (a
 * PrefetchHandle among the values) is only reused for calls without that argument.
 */
class ArgMemo {
  private names: unknown[] = [];
  textId = 0;
  shape: KeyShape = KeyShape.none;
  extra = 0;
  opts = 0;
  /** The request id the scan found, when it did not come from the external_request_id argument. */
  private fixedErid = '';
  private eridFromArg = false;
  private valid = false;

  matches(g: readonly unknown[], n: number): boolean {
    const m = this.names;
    if (!this.valid || m.length !== n) return false;
    for (let i = 0; i < n; i += 2) {
      if (m[i] !== g[i]) return false;
      const v = g[i + 1];
      if (m[i + 1] !== v && !(g[i] === ERID && typeof v === 'string' && typeof m[i + 1] === 'string')) return false;
    }
    return true;
  }

  /** The request id of a call whose list matches. */
  eridOf(g: readonly unknown[], n: number): string {
    if (!this.eridFromArg) return this.fixedErid;
    for (let i = 0; i < n; i += 2) if (g[i] === ERID && typeof g[i + 1] === 'string') return g[i + 1] as string;
    return '';
  }

  /** `embeddedKeys`: keys the scan found inside the values (those must be read from every call: no reuse). */
  remember(g: readonly unknown[], n: number, textId: number, sc: ArgScanner, embeddedKeys: number): void {
    this.names = g.slice(0, n);
    this.textId = textId;
    this.shape = sc.shape;
    this.extra = sc.extra;
    this.opts = sc.opts;
    let argErid: string | null = null;
    for (let i = 0; i < n; i += 2) if (g[i] === ERID && typeof g[i + 1] === 'string') argErid = g[i + 1] as string;
    // Reusable only if the scan's request id is the argument's (or there is none): then a later
    // call's own argument is its request id, as its scan would find.
    this.eridFromArg = argErid !== null && sc.erid === argErid;
    this.fixedErid = sc.erid;
    this.valid = embeddedKeys === 0 && (argErid === null || this.eridFromArg);
  }
}
