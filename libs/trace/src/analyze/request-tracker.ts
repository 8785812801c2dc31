import { CountColumn, i32Column, u32Column, u8Column, type Column } from './growable.ts';
import { ListMarker, isPrefixOf } from './list-marker.ts';
import { ReaderBound } from './reader-bound.ts';
import { ReaderMatching } from './reader-matching.ts';
import { FLAG_KINDS, KeyShape, LockOpt, Role, SpanKind, type CountArray, type FlagKind, type KeyFate } from './types.ts';

/** What the tracker reads back about earlier calls (CallIndex fits). */
export interface CallSource {
  /** The call's key ids, in argument order, each once. */
  keysOfCall(call: number): Uint32Array;
  /** The call's key list id (equal lists, equal ids). */
  listOfCall(call: number): number;
  timeOf(call: number): number;
  /** Every call's t_mono (a view of the index's column: valid until the next call is added). */
  times(): Float64Array;
  /** extra_count of a prefetch or release call. */
  extraCountOf(call: number): number;
  /** The trace (server) a call came from, when several are merged; absent or 0: one trace. */
  sourceOf?(call: number): number;
}

/** The arguments of one call that matter to locks (CallIndex holds them per call). */
export interface LockCall {
  call: number;
  role: Role;
  shape: KeyShape;
  keys: ArrayLike<number>;
  /** extra_count of a prefetch or release. */
  extra: number;
  /** LockOpt bits of a prefetch. */
  opts: number;
  /** external_request_id (an id of the index's string table; 0 none). */
  erid: number;
}

/**
 * Whether a call of this role opens a request span (a read span per prefetch, a write span per
 * reservation; one without keys opens none): what a merge counts to reserve the span columns.
 */
export const opensSpan = (role: Role): boolean => role === Role.prefetch || role === Role.reserveWrite;

// A read span's (request, key) slot states, in `kst`, with the locks it still holds in `left`.
const K_PENDING = 0; // submitted, not read, not decided: a lock may be held
const K_READ = 1; // read with enter: the lock was taken (proven)
const K_MISS = 2; // not found (outside the read keys, or proven absent by a later write)
const K_RELEASED = 3; // every lock given back by finish_read_prefetched
const K_EXIT_RELEASED = 4; // read, then a later write proves the lock was gone (released at exit)
// A write span's (reservation, key) states, in `wst`.
const W_PENDING = 0; // reserved, not finished, not decided: a write lock may be held
const W_WRITTEN = 1;
const W_REFUSED = 2; // left out of its finish_write
const W_FREED = 3; // proven not to hold the lock by a later call (refused, or released by another's finish)

// Span states.
const S_SUBMITTED = 0;
const S_ENTERED = 1;
const S_EXITED = 2;
const S_CLOSED = 3;

type Match = 'prefix' | 'sparse' | 'contains' | 'same' | 'exact' | 'holds';
/**
 * How an enter finds its request: a PREFIX request whose submitted keys begin with the read's
 * (PREFIX finds a prefix), then a request of another policy that lists them all.
 */
const ENTER_TRIES = [[S_SUBMITTED, 'prefix', false], [S_SUBMITTED, 'sparse', false]] as const;
/** ENTER_TRIES among requests that took exactly 1 + extra locks (the extra_count of a release). */
const ENTER_TRIES_LOCKS = [[S_SUBMITTED, 'prefix', true], [S_SUBMITTED, 'sparse', true]] as const;
/**
 * How a release finds a read: the same keys holding exactly what it gives back, the same keys and
 * extra_count (EXACT); then, after trying to move a read to the request whose lock count fits
 * (stealRead), the same keys, then any keys it holds (LOOSE).
 */
const RELEASE_TRIES_EXACT = [
  [S_EXITED, 'exact', true],
  [S_ENTERED, 'exact', true],
  [S_EXITED, 'same', true],
  [S_ENTERED, 'same', true],
] as const;
const RELEASE_TRIES_LOOSE = [
  [S_EXITED, 'same', false],
  [S_ENTERED, 'same', false],
  [S_EXITED, 'holds', false],
  [S_ENTERED, 'holds', false],
] as const;
/** A release of a request that was never read (it gives back what it found). */
const UNREAD_RELEASE_TRIES = [[S_SUBMITTED, 'prefix', false], [S_SUBMITTED, 'sparse', false], [S_SUBMITTED, 'holds', false]] as const;

/** Anomaly flags raised while pairing, one bit per kind per key (counted once per key). */
const ANOMALY_BIT: Partial<Record<FlagKind, number>> = {
  enter_without_submit: 1,
  exit_without_enter: 2,
  release_without_lock: 4,
  finish_without_reserve: 8,
};
/** At most this many anomaly occurrences are kept for display (the per-key counts stay exact). */
const MAX_ANOMALY_EVENTS = 100_000;
/** How far back a read that fits no open request looks for a request that took another's read. */
const REPAIR_WINDOW = 512;
/** The longest chain of reads moved to make room for one read. */
const REPAIR_DEPTH = 64;

/**
 * Request-level lock lifecycles of an entry-only trace, decided as LMCache's StorageManager
 * decides them (shared/FORMAT.md, "Traced storage-manager methods"), fed one call at a time in
 * trace order.
 *
 * A read span is one submit_prefetch_task. The enter, exit and finish that follow belong to an
 * open span whose submitted keys contain theirs (the caller reads the keys it found and releases
 * the keys it read): the span whose call came just before, if it fits (a read right after its own
 * submit, as a server does for keys already in L1), else the oldest that fits. The keys a span
 * submitted but did not read are misses. Entry-only records cannot tell two open requests with the
 * same keys apart; when a later read fits no open request because an earlier read went to the one
 * it needed, the earlier read is moved to another request it fits (one step of an augmenting path).
 * A write span is one reserve_write; the finish_write whose keys it contains closes it, and the keys
 * it listed but did not finish were refused.
 *
 * Evidence from later calls decides what entry-only records leave open: a finished reservation of
 * key k proves no open span holds k when it finishes (see provenWrite), and a read of k proves no
 * open reservation holds it (see refuseOpenWrites). What is still open at the end is `leaked` only
 * where the trace proves the lock was taken (the key was read and not given back), `undecided`
 * otherwise: a write lock is never proven held by entry-only records.
 *
 * Memory: per span ~45 bytes (its nine counts are one signed byte each while they fit, growable.ts
 * CountColumn); per open read span a (request, key) slot (5 bytes) in a pool
 * compacted as spans close; per reserved key 1 byte; per key a list head/tail (8 bytes) of nodes of
 * the open spans listing it (12 bytes per live node, reused).
 */
export class RequestTracker {
  // Spans (reads and writes), by span id.
  private readonly kind = u8Column();
  private readonly state = u8Column();
  private readonly start = i32Column();
  private readonly enterCall = i32Column();
  private readonly exitCall = i32Column();
  private readonly endCall = i32Column();
  /** The call whose key list decided a read's found keys: its enter, or the release of an unread span. */
  private readonly readList = i32Column();
  private readonly nKeys = new CountColumn();
  /** Keys read or released (read spans), finished (writes); -1 while undecided. */
  private readonly found = new CountColumn();
  private readonly erid = u32Column();
  /** Read locks per key the submit took (1 + extra_count; 0 for WARM). */
  private readonly locks = new CountColumn();
  private readonly opts = u8Column();
  /** Keys of the span whose lock may still be held. */
  private readonly live = new CountColumn();
  /** Read spans: offset of their slots in left/kst while open; writes: in wst. */
  private readonly poolOff = u32Column();
  // Per span outcome counts (summed by the reports): read keys released, misses, locks released at exit; writes refused.
  private readonly nPaired = new CountColumn();
  private readonly nMiss = new CountColumn();
  private readonly nExitReleased = new CountColumn();
  private readonly nRefused = new CountColumn();
  // Open read spans' slots.
  private left = new Int32Array(1 << 12);
  private kst = new Uint8Array(1 << 12);
  private poolLen = 0;
  private poolDead = 0;
  private openReads: number[] = [];
  /** 1 while the span is in openReads (a span reopened by a repair must not be listed twice). */
  private readonly inOpenReads = u8Column();
  private readonly openWrites = new Set<number>();
  // Write spans' slot states: kept for the key view (1 byte per reserved key).
  private readonly wst = u8Column(1 << 12);
  // Per key: its list of open-span nodes (node + 1; 0 = empty), oldest first.
  private readonly head = i32Column();
  private readonly tail = i32Column();
  private readonly nSpan = i32Column();
  private readonly nPos = i32Column();
  private readonly nNext = i32Column();
  private freeNode = 0;
  /**
   * Per key, an upper bound on the read locks it can hold, kept without any pairing guess: each
   * prefetch listing it adds its lock count (as if it found the key), each release subtracts what it
   * gives back (never below 0), and a finished write of the key resets it to 0 (see provenWrite).
   * A key the pairing calls free but whose bound is above 0 is reported undecided, so what the
   * storage manager holds is always covered even where requests with identical keys were confused.
   */
  private readonly ledger = i32Column();
  /** Per key, the last prefetch listing it (+1; 0 none), to point at when only the bound flags it. */
  private readonly lastSubmit = i32Column();
  /**
   * Per key, a lower bound on the read locks it holds, also kept without any pairing guess: each
   * read (enter) of it adds the fewest locks any request it may belong to took, each release
   * subtracts what it gives back (never below 0: a release may be of a request never read), and a
   * finished write resets it to 0. Over any stretch of calls, the reads in it took at least what
   * they add and got back at most what the releases in it gave, so a key is called leaked only
   * where this bound is above 0, whichever of several identical requests a read really was.
   */
  private readonly floor = i32Column();
  /** Per key, the last read (enter) listing it (+1; 0 none). */
  private readonly lastRead = i32Column();
  /** Per key, the last enter or release listing it (-1 none): a lock on it can only have gone since through one. */
  private readonly lastTouch = i32Column();
  /**
   * Per read span, the first key position whose possible lock is no longer counted in `ledger`
   * (nKeys: all counted): positions proven never locked are taken out of the bound once.
   */
  private readonly ledgerCut = new CountColumn();
  /** Which requests are proven read, whichever read was whose (see reader-matching.ts). */
  private readonly matching = new ReaderMatching();
  /** What the request of a read took at least, whichever request it was (see reader-bound.ts). */
  private readonly readers = new ReaderBound((s) => this.matching.isUsed(s));
  /**
   * A read's candidates (ReaderBound.candidates), the first of them valid. This and `zeroed` are
   * filled by index and never truncated: an array emptied by `length = 0` gets a new backing store
   * at its next push, garbage on every read and release that grew the loading worker's young
   * generation (apps/inspector/bench/garbage.ts).
   */
  private readonly cands: number[] = [];
  /** A group of requests proven read (ReaderMatching; the reader lists skip them from now on): the bound is settled. */
  private readonly onGroup = (requests: readonly number[], reads: readonly number[]): void => {
    // The read being added, the only one its request can have made, as its prefix: its keys
    // after the read were cut just now (neverLocked), so settling is only the bookkeeping.
    if (requests.length === 1 && requests[0] === this.soleFit && reads[0] === this.current) this.ledgerCut.set(this.soleFit, 0);
    else this.settleGroup(requests, reads);
  };
  /** In enter: the request the read being added is, by being the only one it can be and its prefix (-1: none). */
  private soleFit = -1;
  /** Keys whose `ledger` reached 0 during the call being added (decideFreed): the first nZeroed. */
  private readonly zeroed: number[] = [];
  private nZeroed = 0;
  /** The call being added. */
  private current = -1;
  // Per call: the span it belongs to (-1: none).
  private readonly callSpan = i32Column(1 << 14);
  // Anomalies: bits per key, and the first occurrences as (kind, call, key).
  private readonly anomalyBits = u8Column();
  private readonly anKind = u8Column();
  private readonly anCall = u32Column();
  private readonly anKey = u32Column();
  private readonly anomalyKeys = new Array<number>(FLAG_KINDS.length).fill(0);
  private unknownShape = 0;
  private unpairedReads = 0;
  /**
   * Per key list id, reads (enter calls) of it whose exit has not come: an exit is an anomaly only
   * when none is, whatever the pairing made of them. (A Map deleting its entries at 0 allocated
   * ~25 B a merged call as it shrank; lists are ~1 in 10 calls, one byte each here.)
   */
  private readonly exitsDue = new CountColumn();
  /** finishRead's scratch: per key of the release, whether the ledger had less than it gives back. */
  private unheld = new Uint8Array(64);
  private readonly m1 = new ListMarker();
  private readonly m2 = new ListMarker();
  private version = 0;
  /** Read spans, most recent last, that a read which fits no open span may take back (REPAIR_WINDOW). */
  private recentReads: number[] = [];
  /** Reservations closed by a finish_write, most recent last, for repairWrite. */
  private recentWrites: number[] = [];
  /** A span's submit call and its keys, for the reader table (made once: a closure per enter was garbage). */
  private readonly startOf = (sp: number): number => this.start.data[sp]!;
  private readonly keysOfSpan = (sp: number): ArrayLike<number> => this.src.keysOfCall(this.start.data[sp]!);
  /** Whether a read span's request was made under PREFIX (it locks and reads the leading keys it found). */
  private readonly prefixPolicy = (sp: number): boolean => (this.opts.data[sp]! & LockOpt.notPrefix) === 0;
  /** The last reservations made (REPAIR_WINDOW), oldest first, for findUnfinishedWrite. */
  private recentReservations: number[] = [];

  /** Per source, its last call added; and the call before the current one on its source. */
  private readonly lastOfSource: number[] = [];
  private prevOfCurrent = -1;

  constructor(private readonly src: CallSource) {}

  /** Changes every time a call changes the analysis (reports cache on it). */
  get revision(): number {
    return this.version;
  }
  get spanCount(): number {
    return this.kind.length;
  }
  /** Lifecycle-method calls whose keys were in no known shape. */
  get unknownShapeCalls(): number {
    return this.unknownShape;
  }
  /** Reads (enter) that requests of the trace can have made, which the pairing gave to none (see enter). */
  get unpairedReadCalls(): number {
    return this.unpairedReads;
  }

  /** Room for exactly `calls` calls in all (a merge of known size: see CallIndex.reserve). */
  reserveCalls(calls: number): void {
    this.callSpan.reserveExact(calls);
  }

  /**
   * Room for `spans` spans in every span column, exactly (a merge that counted the calls that open
   * spans, prefetches and reservations): the columns then never grow by steps, which was the
   * merge's biggest single cost (each growth allocates and copies some twenty columns).
   */
  reserveSpans(spans: number): void {
    for (const c of this.perSpanColumns()) c.reserveExact(spans);
  }

  /** Gives back the span columns' slack beyond `slack` of their length (a reservation of more spans than came). */
  trimSpans(slack: number): void {
    for (const c of this.perSpanColumns()) c.trim(slack);
  }

  /** Every per-span column (newSpan pushes one entry to each). */
  private perSpanColumns(): (Column<Uint8Array | Int32Array | Uint32Array> | CountColumn)[] {
    return [this.kind, this.state, this.start, this.enterCall, this.exitCall, this.endCall, this.readList, this.nKeys, this.found, this.erid, this.locks, this.opts, this.live, this.poolOff, this.nPaired, this.nMiss, this.nExitReleased, this.nRefused, this.inOpenReads, this.ledgerCut];
  }

  /** Gives back the per-call column's growth slack beyond `slack` of its length (see Column.trim). */
  trimCalls(slack: number): void {
    this.callSpan.trim(slack);
  }

  /** One call, in trace order; every call of the trace must be added (call = its position). */
  add(x: LockCall): void {
    if (x.call !== this.callSpan.length) throw new Error(`calls must be added in order: got ${x.call}, expected ${this.callSpan.length}`);
    this.callSpan.push(-1);
    this.current = x.call;
    // The call before this one on the same server: merged traces interleave servers, and "the
    // request just before" (findRead, findWrite) means the one this server's caller made.
    const source = this.src.sourceOf?.(x.call) ?? 0;
    this.prevOfCurrent = this.lastOfSource[source] ?? -1;
    this.lastOfSource[source] = x.call;
    if (x.role === Role.other) return;
    this.version++;
    if (x.shape === KeyShape.none) {
      this.unknownShape++;
      return;
    }
    const keys = x.keys;
    if (keys.length > 0) this.growKeys(maxOf(keys) + 1);
    switch (x.role) {
      case Role.prefetch:
        this.submit(x);
        break;
      case Role.readEnter:
        this.enter(x.call, keys);
        break;
      case Role.readExit:
        this.exit(x.call, keys);
        break;
      case Role.finishRead:
        this.finishRead(x.call, keys, x.extra);
        break;
      case Role.reserveWrite:
        this.reserve(x.call, keys);
        break;
      case Role.finishWrite:
        this.finishWrite(x.call, keys);
        break;
    }
    if (this.nZeroed > 0) this.decideFreed();
  }

  /** Lowers key k's upper bound by `by` (never below 0), noting when it reaches 0 (decideFreed). */
  private lowerLedger(k: number, by: number): void {
    const was = this.ledger.data[k]!;
    const now = Math.max(0, was - by);
    this.ledger.data[k] = now;
    if (now === 0 && was > 0) this.zeroed[this.nZeroed++] = k;
  }

  /**
   * Keys whose upper bound on read locks reached 0 during this call hold no read lock: an open
   * request still pending on one (unread there, or its read may have been another's) never locked
   * it, since it would hold it until its release. Decided after the call was paired, so a release
   * still finds the request it closes.
   */
  private decideFreed(): void {
    // Up to nZeroed as it is now: deciding may zero more keys, which are taken in turn.
    for (let i = 0; i < this.nZeroed; i++) {
      const k = this.zeroed[i]!;
      if (this.ledger.data[k] !== 0) continue;
      for (let v = this.head.data[k]!; v !== 0; ) {
        const node = v - 1;
        const next = this.nNext.data[node]!;
        const s = this.nSpan.data[node]!;
        if (this.kind.data[s] === SpanKind.read && this.state.data[s] !== S_CLOSED) {
          const j = this.poolOff.data[s]! + this.nPos.data[node]!;
          if (this.kst[j] === K_PENDING && this.left[j]! > 0) {
            this.missSlot(s, j);
            this.closeIfDone(s);
          }
        }
        v = next;
      }
    }
    this.nZeroed = 0;
  }

  // ---- reads ------------------------------------------------------------------------------

  private submit(x: LockCall): void {
    const keys = x.keys, n = keys.length;
    const warm = (x.opts & LockOpt.warm) !== 0;
    const s = this.newSpan(SpanKind.read, x.call, n, x.erid);
    this.locks.set(s, warm ? 0 : 1 + x.extra);
    this.opts.data[s] = x.opts;
    if (warm || n === 0) {
      // Nothing to hold: a WARM prefetch takes no lock; an empty one has no keys.
      this.state.data[s] = S_CLOSED;
      if (n === 0) this.found.set(s, 0);
      return;
    }
    const L = 1 + x.extra;
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      this.ledger.data[k]! += L;
      this.lastSubmit.data[k] = x.call + 1;
      this.readers.add(k, s, L);
    }
    this.openSlots(s);
    this.listOpen(s);
  }

  private listOpen(s: number): void {
    if (this.inOpenReads.data[s] === 1) return;
    this.inOpenReads.data[s] = 1;
    this.openReads.push(s);
  }

  /** Gives read span s fresh slots (every key pending with its full lock count) and links its nodes. */
  private openSlots(s: number): void {
    const keys = this.src.keysOfCall(this.start.data[s]!);
    const n = keys.length;
    const off = this.alloc(n);
    this.poolOff.data[s] = off;
    const L = this.locks.data[s]!;
    for (let i = 0; i < n; i++) {
      this.left[off + i] = L;
      this.kst[off + i] = K_PENDING;
      this.link(keys[i]!, s, i);
    }
    this.live.set(s, n);
    // Reopened by a repair: a key no lock can be on now (its bound is 0) was never locked by it
    // either (decideFreed). A fresh submit has just raised the bound of each of its keys.
    for (let i = 0; i < n; i++) if (this.ledger.data[keys[i]!] === 0) this.missSlot(s, off + i);
  }

  private enter(call: number, keys: ArrayLike<number>): void {
    if (keys.length === 0) return;
    const list = this.src.listOfCall(call);
    while (this.exitsDue.length <= list) this.exitsDue.push(0);
    this.exitsDue.add(list, 1);
    const least = this.readers.fewestLocks(keys, this.startOf, this.keysOfSpan, this.m1);
    for (let i = 0; i < keys.length; i++) {
      this.floor.data[keys[i]!]! += least;
      this.lastRead.data[keys[i]!] = call + 1;
      this.lastTouch.data[keys[i]!] = call;
      this.readers.read(keys[i]!);
    }
    // The only request that can have made this read read the keys it found: under PREFIX, the ones
    // after them were never locked. Requests that between them made a group of reads are bounded
    // by those reads (settleGroup).
    const cands = this.cands;
    const n = this.readers.candidates(keys, this.startOf, this.keysOfSpan, this.prefixPolicy, this.m1, cands);
    if (n >= 0) {
      this.soleFit = -1;
      if (n === 1 && this.fits(cands[0]!, keys, 'prefix', -1)) {
        this.neverLocked(cands[0]!, keys.length);
        this.soleFit = cands[0]!;
      }
      this.matching.add(call, cands, this.onGroup, n);
    }
    // A read of the keys a request found, then one that took those from another, then any subset.
    let s = this.findReadAny(call, keys, ENTER_TRIES, -1);
    let sure = s >= 0 && !this.ambiguous(s, call, keys);
    if (s < 0) {
      s = this.repairFor(keys, call);
      if (s < 0) s = this.findRead(call, keys, S_SUBMITTED, 'contains');
      sure = false;
    }
    if (s < 0) {
      // An anomaly only when no request of the trace can have made this read: none lists its keys
      // since their last writes, or each that does is proven to have made another read (n = 0).
      // Otherwise one of them may have made it (n > 0; or n = -1, more requests listed a key than
      // the lists remember), and the pairing's guesses among identical requests in flight (over a
      // hot prefix, past what the repair search reaches) gave the ones it could have been other
      // reads: the read stays unpaired, counted; the per-key lock bounds count it all the same
      // (floor above, the ledger at its release).
      if (n === 0) return this.anomaly('enter_without_submit', call, keys);
      this.unpairedReads++;
      return;
    }
    this.applyEnter(s, call, sure);
  }

  /**
   * `sure`: no other open request could have made this read, so the keys it did not read are
   * misses. Otherwise the read may belong to another request with the same keys, and this one's
   * other keys stay undecided until later evidence (a finished write of them) decides them.
   */
  private applyEnter(s: number, call: number, sure: boolean): void {
    this.callSpan.data[call] = s;
    this.enterCall.data[s] = call;
    this.readList.data[s] = call;
    this.state.data[s] = S_ENTERED;
    this.decideFound(s, this.src.keysOfCall(call), sure);
    this.noteRecent(s);
  }

  /** Another open, unread request submitted before `call` lists all of `keys`. */
  private ambiguous(s: number, call: number, keys: ArrayLike<number>): boolean {
    for (let v = this.head.data[keys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const node = v - 1;
      const t = this.nSpan.data[node]!;
      if (t === s || this.kind.data[t] !== SpanKind.read || this.state.data[t] !== S_SUBMITTED || this.start.data[t]! >= call) continue;
      if (this.slotLive(t, this.nPos.data[node]!) && this.fits(t, keys, 'contains', -1)) return true;
    }
    return false;
  }

  private exit(call: number, keys: ArrayLike<number>): void {
    if (keys.length === 0) return;
    const list = this.src.listOfCall(call);
    const due = list < this.exitsDue.length && this.exitsDue.data[list]! > 0;
    if (due) this.exitsDue.add(list, -1);
    const s = this.findRead(call, keys, S_ENTERED, 'same');
    if (s >= 0) {
      this.callSpan.data[call] = s;
      this.exitCall.data[s] = call;
      this.state.data[s] = S_EXITED;
      return;
    }
    // Exits of identical reads are interchangeable: a read of these keys that was already released
    // (its release paired before an exit did) takes this one.
    for (const r of this.recentReads) {
      if (this.exitCall.data[r] !== -1 || this.enterCall.data[r]! < 0 || this.enterCall.data[r]! > call) continue;
      if (!sameList(this.src.keysOfCall(this.readList.data[r]!), keys)) continue;
      this.callSpan.data[call] = r;
      this.exitCall.data[r] = call;
      if (this.state.data[r] === S_ENTERED) this.state.data[r] = S_EXITED;
      return;
    }
    // A read of these keys is still to exit (one the pairing left unpaired, or gave another exit):
    // this exit is its, not an anomaly.
    if (!due) this.anomaly('exit_without_enter', call, keys);
  }

  private finishRead(call: number, keys: ArrayLike<number>, extra: number): void {
    if (keys.length === 0) return;
    if (this.unheld.length < keys.length) this.unheld = new Uint8Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      // More given back than the requests of the trace can hold on k: provably a release without a lock.
      this.unheld[i] = this.ledger.data[k]! < 1 + extra ? 1 : 0;
      this.lowerLedger(k, 1 + extra);
      this.floor.data[k] = Math.max(0, this.floor.data[k]! - (1 + extra));
      this.readers.release(k, 1 + extra);
      this.lastTouch.data[k] = call;
    }
    // The release of a read closes the read; a release of an unread span says which keys it found.
    let s = this.findReadAny(call, keys, RELEASE_TRIES_EXACT, extra);
    if (s < 0) s = this.stealRead(keys, extra);
    if (s < 0) s = this.findReadAny(call, keys, RELEASE_TRIES_LOOSE, extra);
    if (s < 0) {
      s = this.findReadAny(call, keys, UNREAD_RELEASE_TRIES, extra);
      if (s >= 0) {
        this.readList.data[s] = call;
        this.state.data[s] = S_EXITED;
        this.decideFound(s, keys, !this.ambiguous(s, call, keys));
        this.noteRecent(s);
      }
    }
    if (s >= 0) {
      if (this.state.data[s] === S_ENTERED) this.takeExit(s);
      if (this.locks.data[s] !== 1 + extra) s = this.betterReader(s, extra);
      return this.applyRelease(s, call, keys, 1 + extra);
    }
    // No span holds all of these keys: release key by key from the oldest span holding each.
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const node = this.oldestLiveNode(k, SpanKind.read);
      if (node < 0) {
        // Otherwise a request's lock on k is what went back, one the pairing's guesses among
        // identical requests left no span for: the ledger counted it, nothing to flag.
        if (this.unheld[i] === 1) this.anomaly('release_without_lock', call, [k]);
        continue;
      }
      const sp = this.nSpan.data[node]!;
      if (this.endCall.data[sp] === -1) this.endCall.data[sp] = call;
      this.giveBack(sp, this.poolOff.data[sp]! + this.nPos.data[node]!, 1 + extra);
      this.closeIfDone(sp);
    }
  }

  /**
   * A release of `keys` giving back 1 + extra locks fits no read that took that many: a read of the
   * same keys, not released yet, went to a request with another lock count while an unread request
   * that took 1 + extra also fits it. Moves that read there (the other request is unread again) and
   * returns the request, or -1.
   */
  private stealRead(keys: ArrayLike<number>, extra: number): number {
    for (let v = this.head.data[keys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const t = this.nSpan.data[v - 1]!;
      if (this.kind.data[t] !== SpanKind.read || this.locks.data[t] === 1 + extra || this.endCall.data[t] !== -1) continue;
      const st = this.state.data[t];
      if ((st !== S_ENTERED && st !== S_EXITED) || !this.fits(t, keys, 'same', -1)) continue;
      const readCall = this.readList.data[t]!;
      const u = this.findReadAny(readCall, this.src.keysOfCall(readCall), ENTER_TRIES_LOCKS, extra);
      if (u < 0 || u === t) continue;
      this.moveRead(t, u);
      return u;
    }
    return -1;
  }

  /**
   * A release gives back 1 + extra locks, but the read it pairs with (s) took a different number:
   * the read was guessed among requests with the same keys. If an unread request that took exactly
   * 1 + extra locks also fits that read (and was submitted before it), the read was its own: moves
   * it there and returns that span; otherwise s.
   */
  private betterReader(s: number, extra: number): number {
    const readCall = this.readList.data[s]!;
    if (readCall < 0) return s;
    const readKeys = this.src.keysOfCall(readCall);
    const u = this.findReadAny(readCall, readKeys, ENTER_TRIES_LOCKS, extra);
    if (u >= 0 && u !== s) {
      this.moveRead(s, u);
      return u;
    }
    // Or a request that took 1 + extra locks, was given another read of the same keys, and is not
    // released yet: the two reads were swapped.
    if (this.endCall.data[s] !== -1) return s;
    for (let v = this.head.data[readKeys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const t = this.nSpan.data[v - 1]!;
      if (t === s || this.kind.data[t] !== SpanKind.read || this.locks.data[t] !== 1 + extra || this.endCall.data[t] !== -1) continue;
      const st = this.state.data[t];
      if (st !== S_ENTERED && st !== S_EXITED) continue;
      const tRead = this.readList.data[t]!;
      if (this.start.data[t]! >= readCall || this.start.data[s]! >= tRead) continue;
      if (!this.fitsRead(t, readKeys) || !this.fitsRead(s, this.src.keysOfCall(tRead))) continue;
      this.swapReads(s, t);
      return t;
    }
    return s;
  }

  /** Span s (any state) could have made a read of `keys`: they are its found prefix, or a subset under another policy. */
  private fitsRead(s: number, keys: ArrayLike<number>): boolean {
    return this.fits(s, keys, 'prefix', -1) || this.fits(s, keys, 'sparse', -1);
  }

  /** Exchanges the reads (enter, exit) of two read spans that are not released yet. */
  private swapReads(s: number, t: number): void {
    const a = { enter: this.enterCall.data[s]!, exit: this.exitCall.data[s]!, read: this.readList.data[s]! };
    const b = { enter: this.enterCall.data[t]!, exit: this.exitCall.data[t]!, read: this.readList.data[t]! };
    this.resetToSubmitted(s);
    this.resetToSubmitted(t);
    for (const [span, r] of [[s, b], [t, a]] as const) {
      if (r.enter >= 0) this.applyEnter(span, r.enter, false);
      else {
        this.readList.data[span] = r.read;
        this.state.data[span] = S_EXITED;
        this.decideFound(span, this.src.keysOfCall(r.read), false);
      }
      if (r.exit >= 0) {
        this.callSpan.data[r.exit] = span;
        this.exitCall.data[span] = r.exit;
        this.state.data[span] = S_EXITED;
      }
    }
  }

  /**
   * Read span s is released before an exit was paired with it, while another span read the same
   * keys and was given an exit after s's enter: exits of identical reads are interchangeable, and a
   * caller releases after its own exit, so that exit was s's. Moves it.
   */
  private takeExit(s: number): void {
    const list = this.src.keysOfCall(this.readList.data[s]!);
    if (list.length === 0) return;
    const enteredAt = this.enterCall.data[s]!;
    for (let v = this.head.data[list[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const t = this.nSpan.data[v - 1]!;
      if (t === s || this.kind.data[t] !== SpanKind.read || this.state.data[t] !== S_EXITED || this.exitCall.data[t]! < enteredAt) continue;
      if (this.readList.data[t] !== this.enterCall.data[t] || !sameList(this.src.keysOfCall(this.readList.data[t]!), list)) continue;
      const exitC = this.exitCall.data[t]!;
      this.exitCall.data[t] = -1;
      this.state.data[t] = S_ENTERED;
      this.exitCall.data[s] = exitC;
      this.state.data[s] = S_EXITED;
      this.callSpan.data[exitC] = s;
      return;
    }
  }

  private applyRelease(s: number, call: number, keys: ArrayLike<number>, give: number): void {
    this.callSpan.data[call] = s;
    if (this.endCall.data[s] === -1) this.endCall.data[s] = call;
    const m = this.m1;
    m.mark(this.src.keysOfCall(this.start.data[s]!));
    const off = this.poolOff.data[s]!;
    // A release giving back more than the span held was paired with the wrong one of several
    // identical reads; the excess is dropped (the span it belonged to then looks held, and the
    // per-key bounds keep that from being called a leak).
    for (let i = 0; i < keys.length; i++) {
      const p = m.positionOf(keys[i]!);
      if (p >= 0) this.giveBack(s, off + p, give);
    }
    this.closeIfDone(s);
  }

  /** Which keys of span s were found: `keys` (read or released); with `missRest`, the rest are misses. */
  private decideFound(s: number, keys: ArrayLike<number>, missRest: boolean): void {
    const submitted = this.src.keysOfCall(this.start.data[s]!);
    const off = this.poolOff.data[s]!;
    const L = this.locks.data[s]!;
    this.m2.mark(keys);
    let found = 0;
    for (let i = 0; i < submitted.length; i++) {
      const j = off + i;
      const st = this.kst[j]!;
      const holding = (st === K_PENDING || st === K_READ) && this.left[j]! > 0;
      if (this.m2.positionOf(submitted[i]!) >= 0) {
        found++;
        // A direct observation wins over an inference made before it.
        if (!holding) {
          if (st === K_MISS) this.nMiss.add(s, -1);
          this.live.add(s, 1);
          this.left[j] = L;
        }
        this.kst[j] = K_READ;
      } else if (holding && missRest) {
        this.kst[j] = K_MISS;
        this.left[j] = 0;
        this.live.add(s, -1);
        this.nMiss.add(s, 1);
      }
    }
    this.found.set(s, found);
    // A found key was complete when the request was submitted and read-locked since: a reservation
    // made before the submit no longer held it, one made after was refused (exists, locked).
    for (let i = 0; i < keys.length; i++) this.refuseOpenWrites(keys[i]!);
  }

  /** Gives `give` locks back to slot j of span s; returns what the slot did not hold (the excess, dropped). */
  private giveBack(s: number, j: number, give: number): number {
    const st = this.kst[j];
    if (st !== K_READ && st !== K_PENDING) return give;
    const had = this.left[j]!;
    if (had > give) {
      this.left[j] = had - give;
      return 0;
    }
    this.left[j] = 0;
    this.kst[j] = K_RELEASED;
    this.live.add(s, -1);
    this.nPaired.add(s, 1);
    return give - had;
  }

  /**
   * The open read span in `state` that a call's key list belongs to, under one way of matching:
   * - 'prefix': its policy is PREFIX and its submitted keys begin with `keys`;
   * - 'sparse': its policy is not PREFIX and its submitted keys contain all of `keys`;
   * - 'contains': its submitted keys contain all of `keys`;
   * - 'same': its read listed exactly `keys` (with `extra`: and it took 1 + extra locks per key);
   * - 'exact': as 'same', and each key still holds exactly 1 + extra locks;
   * - 'holds': it still holds a lock on every key of `keys`.
   * Only spans submitted before `call` qualify (a repair asks about an earlier call). The span of
   * the call just before is preferred (a caller that reads right after its submit, or releases
   * right after its read), then the oldest.
   */
  private findRead(call: number, keys: ArrayLike<number>, state: number, match: Match, extra = -1): number {
    const prev = this.spanOfPrevious(call);
    if (prev >= 0 && this.kind.data[prev] === SpanKind.read && this.state.data[prev] === state && this.start.data[prev]! < call && this.fits(prev, keys, match, extra)) return prev;
    for (let v = this.head.data[keys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const node = v - 1;
      const s = this.nSpan.data[node]!;
      if (s === prev || this.kind.data[s] !== SpanKind.read || this.state.data[s] !== state || this.start.data[s]! >= call) continue;
      if (!this.slotLive(s, this.nPos.data[node]!)) continue;
      if (this.fits(s, keys, match, extra)) return s;
    }
    return -1;
  }

  /** findRead over several states and ways of matching, strictest first. */
  private findReadAny(call: number, keys: ArrayLike<number>, tries: readonly (readonly [number, Match, boolean])[], extra: number): number {
    for (const [state, match, withExtra] of tries) {
      const s = this.findRead(call, keys, state, match, withExtra ? extra : -1);
      if (s >= 0) return s;
    }
    return -1;
  }

  /** The span of the call before `call` on its server (-1: none). */
  private spanOfPrevious(call: number): number {
    const prev = call === this.current ? this.prevOfCurrent : call - 1;
    return prev >= 0 ? this.callSpan.data[prev]! : -1;
  }

  private fits(s: number, keys: ArrayLike<number>, match: Match, extra: number): boolean {
    if (match === 'same' || match === 'exact') {
      if (extra >= 0 && this.locks.data[s] !== 1 + extra) return false;
      if (!sameList(this.src.keysOfCall(this.readList.data[s]!), keys)) return false;
      // The read's keys must still be held (a second release of the same read is not this span's);
      // 'exact': each holds exactly the 1 + extra locks this release gives back.
      const m = this.m1;
      m.mark(this.src.keysOfCall(this.start.data[s]!));
      const off = this.poolOff.data[s]!;
      for (let i = 0; i < keys.length; i++) {
        const p = m.positionOf(keys[i]!);
        if (!this.slotLive(s, p)) return false;
        if (match === 'exact' && this.left[off + p] !== 1 + extra) return false;
      }
      return true;
    }
    // With `extra` (a release's extra_count), a request matched by its keys must also have taken 1 + extra locks.
    if (extra >= 0 && this.locks.data[s] !== 1 + extra) return false;
    const submitted = this.src.keysOfCall(this.start.data[s]!);
    const prefixPolicy = this.prefixPolicy(s);
    if (match === 'prefix') {
      return prefixPolicy && isPrefixOf(keys, submitted);
    }
    if (match === 'sparse' && prefixPolicy) return false;
    const m = this.m1;
    m.mark(submitted);
    for (let i = 0; i < keys.length; i++) {
      const p = m.positionOf(keys[i]!);
      if (p < 0 || (match === 'holds' && !this.slotLive(s, p))) return false;
    }
    return true;
  }

  /**
   * A read of `keys` fits no open request: find a request X that was read by an earlier read it
   * fits (submitted before `before`), whose read another open request Y also fits (submitted before
   * that read); Y takes X's read (its enter, exit and release are replayed on Y) and X is reopened
   * for this one. When no open Y fits, Y may itself be a read request whose read moves on (an
   * augmenting path of up to REPAIR_DEPTH moves, as in bipartite matching); nothing moves unless the
   * whole path is found.
   */
  private repairFor(keys: ArrayLike<number>, before: number): number {
    // Breadth first: the shortest path of moves (a deep chain of guesses is less likely than one
    // swapped read), each span tried once, at the depth it is first reached, and tried as soon as
    // it is reached. (Trying each depth from the top with a set of tried spans could not find a
    // two-move path through a span first tried at the end of a longer one: false anomalies with
    // many identical requests in flight.)
    const recent = this.recentReads;
    const parent = new Map<number, number>();
    let level: number[] = [-1];
    for (let depth = 1; depth <= REPAIR_DEPTH && level.length > 0; depth++) {
      const next: number[] = [];
      for (const from of level) {
        // The read that must find a home: the new one, or the read of the span reached last.
        const k = from < 0 ? keys : this.src.keysOfCall(this.readList.data[from]!);
        const b = from < 0 ? before : this.readList.data[from]!;
        for (let i = recent.length - 1; i >= 0; i--) {
          const x = recent[i]!;
          if (parent.has(x) || this.start.data[x]! >= b || this.locks.data[x] === 0 || this.readList.data[x]! < 0 || !this.containsAllOf(x, k)) continue;
          parent.set(x, from);
          const readCall = this.readList.data[x]!;
          const y = this.findReadAny(readCall, this.src.keysOfCall(readCall), ENTER_TRIES, -1);
          if (y >= 0 && y !== x) return this.applyRepair(x, y, parent);
          next.push(x);
        }
      }
      level = next;
    }
    return -1;
  }

  /** Moves the reads along a repair path found by repairFor: x's to y, then each parent's to its child; returns the span freed first. */
  private applyRepair(x: number, y: number, parent: Map<number, number>): number {
    for (;;) {
      this.moveRead(x, y);
      const p = parent.get(x)!;
      if (p < 0) return x;
      y = x;
      x = p;
    }
  }

  private containsAllOf(s: number, keys: ArrayLike<number>): boolean {
    return this.m1.coversAll(this.src.keysOfCall(this.start.data[s]!), keys);
  }

  /** Moves read span x's read (enter or release, exit, first release) to open span y; x is left submitted. */
  private moveRead(x: number, y: number): void {
    const readCall = this.readList.data[x]!, enterC = this.enterCall.data[x]!, exitC = this.exitCall.data[x]!, endC = this.endCall.data[x]!;
    this.resetToSubmitted(x);
    // Replay x's read on y.
    if (enterC >= 0) this.applyEnter(y, enterC, false);
    else {
      this.readList.data[y] = readCall;
      this.state.data[y] = S_EXITED;
      this.decideFound(y, this.src.keysOfCall(readCall), false);
      this.noteRecent(y);
    }
    if (exitC >= 0) {
      this.callSpan.data[exitC] = y;
      this.exitCall.data[y] = exitC;
      this.state.data[y] = S_EXITED;
    }
    if (endC >= 0) this.applyRelease(y, endC, this.src.keysOfCall(endC), 1 + this.src.extraCountOf(endC));
  }

  /** Puts read span x back to just submitted: fresh slots, no read, no release. */
  private resetToSubmitted(x: number): void {
    if (this.state.data[x] !== S_CLOSED) {
      this.unlinkSpan(x);
      this.poolDead += this.nKeys.data[x]!;
    } else this.listOpen(x);
    this.state.data[x] = S_SUBMITTED;
    this.enterCall.data[x] = -1;
    this.exitCall.data[x] = -1;
    this.endCall.data[x] = -1;
    this.readList.data[x] = -1;
    this.found.set(x, -1);
    this.nPaired.set(x, 0);
    this.nMiss.set(x, 0);
    this.nExitReleased.set(x, 0);
    // Not closed here even if no slot is live (openSlots missed them all): a repair may hand x a
    // read next (moveRead), which revives its slots; a closed span's slots are gone.
    this.openSlots(x);
    removeAll(this.recentReads, x);
  }

  private noteRecent(s: number): void {
    this.recentReads.push(s);
    if (this.recentReads.length > 2 * REPAIR_WINDOW) this.recentReads = this.recentReads.slice(-REPAIR_WINDOW);
  }

  // ---- writes -----------------------------------------------------------------------------

  private reserve(call: number, keys: ArrayLike<number>): void {
    if (keys.length === 0) return;
    const s = this.newSpan(SpanKind.write, call, keys.length, 0);
    const off = this.wst.length;
    this.wst.resize(off + keys.length);
    this.poolOff.data[s] = off;
    for (let i = 0; i < keys.length; i++) this.link(keys[i]!, s, i);
    this.live.set(s, keys.length);
    this.openWrites.add(s);
    this.recentReservations.push(s);
    if (this.recentReservations.length > 2 * REPAIR_WINDOW) this.recentReservations = this.recentReservations.slice(-REPAIR_WINDOW);
  }

  private finishWrite(call: number, keys: ArrayLike<number>): void {
    if (keys.length === 0) return;
    let s = this.findWrite(call, keys);
    let sure = s >= 0 && !this.ambiguousWrite(s, call, keys);
    if (s < 0) {
      s = this.repairWrite(keys, call);
      sure = false;
    }
    if (s >= 0) {
      this.applyWriteFinish(s, call, sure);
      for (let i = 0; i < keys.length; i++) this.provenWrite(keys[i]!);
      return;
    }
    // No reservation lists all of them: each key closes the oldest open reservation of it.
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      const node = this.oldestLiveNode(k, SpanKind.write);
      if (node < 0) {
        this.anomaly('finish_without_reserve', call, [k]);
        this.provenWrite(k);
        continue;
      }
      const w = this.nSpan.data[node]!;
      if (this.endCall.data[w] === -1) {
        this.endCall.data[w] = call;
        this.found.set(w, 0);
      }
      this.wst.data[this.poolOff.data[w]! + this.nPos.data[node]!] = W_WRITTEN;
      this.found.add(w, 1);
      if (this.live.add(w, -1) === 0) this.closeWrite(w);
      this.provenWrite(k);
    }
  }

  /**
   * Finish_write `call` on reservation s: its keys are written; with `refuseRest` (no other open
   * reservation could have made this finish), the keys s listed and this finish did not are refused
   * and s closes, otherwise they stay pending until later evidence decides them.
   */
  private applyWriteFinish(s: number, call: number, refuseRest: boolean): void {
    this.callSpan.data[call] = s;
    if (this.endCall.data[s] === -1) this.endCall.data[s] = call;
    const reserved = this.src.keysOfCall(this.start.data[s]!);
    const off = this.poolOff.data[s]!;
    this.m2.mark(this.src.keysOfCall(call));
    let written = 0, live = 0;
    for (let i = 0; i < reserved.length; i++) {
      const st = this.wst.data[off + i];
      const listed = this.m2.positionOf(reserved[i]!) >= 0;
      if (listed && (st === W_PENDING || st === W_FREED)) {
        // A key freed by evidence before a repair moved this finish here was this finish's.
        if (st === W_FREED) this.nRefused.add(s, -1);
        this.wst.data[off + i] = W_WRITTEN;
        written++;
      } else if (st === W_PENDING) {
        if (refuseRest) {
          this.wst.data[off + i] = W_REFUSED;
          this.nRefused.add(s, 1);
        } else live++;
      }
    }
    this.found.set(s, Math.max(0, this.found.data[s]!) + written);
    this.live.set(s, live);
    if (live === 0) {
      this.closeWrite(s);
      this.recentWrites.push(s);
      if (this.recentWrites.length > 2 * REPAIR_WINDOW) this.recentWrites = this.recentWrites.slice(-REPAIR_WINDOW);
    }
  }

  /** Another open reservation made before `call` has all of `keys` pending. */
  private ambiguousWrite(s: number, call: number, keys: ArrayLike<number>): boolean {
    for (let v = this.head.data[keys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const node = v - 1;
      const t = this.nSpan.data[node]!;
      if (t === s || this.kind.data[t] !== SpanKind.write || this.state.data[t] === S_CLOSED || this.start.data[t]! >= call) continue;
      if (this.wst.data[this.poolOff.data[t]! + this.nPos.data[node]!] === W_PENDING && this.writeFits(t, keys, false)) return true;
    }
    return false;
  }

  /**
   * A finish_write that fits no open reservation, as for reads (repairFor): a recent reservation X
   * that lists its keys was closed by another finish, which an open reservation Y (made before that
   * finish) also fits; Y takes that finish and X is reopened for this one. Shortest path first.
   */
  private repairWrite(keys: ArrayLike<number>, before: number): number {
    for (let limit = 1; limit <= REPAIR_DEPTH; limit++) {
      const s = this.repairWritePath(keys, before, limit, new Set());
      if (s >= 0) return s;
    }
    return -1;
  }

  private repairWritePath(keys: ArrayLike<number>, before: number, limit: number, visited: Set<number>): number {
    const recent = this.recentWrites;
    for (let i = recent.length - 1; i >= 0; i--) {
      const x = recent[i]!;
      const finish = this.endCall.data[x]!;
      if (visited.has(x) || finish < 0 || this.start.data[x]! >= before || !this.containsAllOf(x, keys)) continue;
      visited.add(x);
      const finishKeys = this.src.keysOfCall(finish);
      let y = this.findWrite(finish, finishKeys);
      if (y < 0 || y === x) y = this.findUnfinishedWrite(finish, finishKeys, x);
      if (y < 0 && limit > 1) y = this.repairWritePath(finishKeys, finish, limit - 1, visited);
      if (y < 0) continue;
      this.reopenWrite(x);
      this.applyWriteFinish(y, finish, false);
      return x;
    }
    return -1;
  }

  /**
   * A reservation made before `call`, never finished, whose keys include all of `keys` as pending or
   * freed by evidence (which a finish of them would also explain): a repair's other candidate.
   */
  private findUnfinishedWrite(call: number, keys: ArrayLike<number>, not: number): number {
    for (const w of this.recentReservations) {
      if (w === not || this.endCall.data[w] !== -1 || this.start.data[w]! >= call) continue;
      const off = this.poolOff.data[w]!;
      const m = this.m1;
      m.mark(this.src.keysOfCall(this.start.data[w]!));
      let all = true;
      for (let i = 0; i < keys.length && all; i++) {
        const p = m.positionOf(keys[i]!);
        all = p >= 0 && (this.wst.data[off + p] === W_PENDING || this.wst.data[off + p] === W_FREED);
      }
      if (all) return w;
    }
    return -1;
  }

  /** Puts reservation x back to open with every key pending (its finish moved to another). */
  private reopenWrite(x: number): void {
    const keys = this.src.keysOfCall(this.start.data[x]!);
    const off = this.poolOff.data[x]!;
    for (let i = 0; i < keys.length; i++) {
      this.wst.data[off + i] = W_PENDING;
      this.link(keys[i]!, x, i);
    }
    this.state.data[x] = S_SUBMITTED;
    this.endCall.data[x] = -1;
    this.found.set(x, -1);
    this.nRefused.set(x, 0);
    this.live.set(x, keys.length);
    this.openWrites.add(x);
    removeAll(this.recentWrites, x);
  }

  /**
   * The open reservation a finish_write belongs to: one that reserved exactly these keys, then one
   * whose pending keys contain them; the reservation just before is preferred, then the oldest.
   */
  private findWrite(call: number, keys: ArrayLike<number>): number {
    for (const exact of [true, false]) {
      const prev = this.spanOfPrevious(call);
      if (prev >= 0 && this.kind.data[prev] === SpanKind.write && this.state.data[prev] !== S_CLOSED && this.start.data[prev]! < call && this.writeFits(prev, keys, exact)) return prev;
      for (let v = this.head.data[keys[0]!]!; v !== 0; v = this.nNext.data[v - 1]!) {
        const node = v - 1;
        const s = this.nSpan.data[node]!;
        if (s === prev || this.kind.data[s] !== SpanKind.write || this.state.data[s] === S_CLOSED || this.start.data[s]! >= call) continue;
        if (this.wst.data[this.poolOff.data[s]! + this.nPos.data[node]!] !== W_PENDING) continue;
        if (this.writeFits(s, keys, exact)) return s;
      }
    }
    return -1;
  }

  private writeFits(s: number, keys: ArrayLike<number>, exact: boolean): boolean {
    if (exact && this.nKeys.data[s] !== keys.length) return false;
    const off = this.poolOff.data[s]!;
    const m = this.m1;
    m.mark(this.src.keysOfCall(this.start.data[s]!));
    for (let i = 0; i < keys.length; i++) {
      const p = m.positionOf(keys[i]!);
      if (p < 0 || this.wst.data[off + p] !== W_PENDING) return false;
    }
    return true;
  }

  /**
   * Key k was reserved and is now finished. At the reservation it held no read lock and no write
   * lock (`new` finds it absent, `all` and `update` refuse a locked object), and from then until
   * this finish it was being written, so no prefetch could find it; this finish released any write
   * lock on it. So no open span holds k now: open reads of it did not find it (or gave the lock back
   * at exit, if they read it), open reservations of it were refused.
   */
  private provenWrite(k: number): void {
    this.ledger.data[k] = 0;
    this.floor.data[k] = 0;
    this.readers.written(k, this.current);
    for (let v = this.head.data[k]!; v !== 0; ) {
      const node = v - 1;
      // Deciding a span may close it and unlink its node: take the next node first (a span has
      // one node per key, so the next node belongs to another span and stays linked).
      const next = this.nNext.data[node]!;
      const s = this.nSpan.data[node]!;
      const pos = this.nPos.data[node]!;
      if (this.state.data[s] !== S_CLOSED) {
        if (this.kind.data[s] === SpanKind.write) this.refuseSlot(s, pos);
        else {
          // No enter or release of k since this PREFIX request was submitted: it never locked k
          // (or lost it with a failed L2 load, which drops the rest too), so none of the keys after.
          if (this.prefixPolicy(s) && this.lastTouch.data[k]! < this.start.data[s]!) this.neverLocked(s, pos + 1);
          this.noReadLock(s, pos);
        }
      }
      v = next;
    }
  }

  /**
   * Read span s never locked its keys from position `from` on: take them out of the per-key bound,
   * except keys written since s was submitted (the write already reset their bound).
   */
  private neverLocked(s: number, from: number): void {
    const cut = this.ledgerCut.data[s]!;
    if (from >= cut) return;
    const keys = this.src.keysOfCall(this.start.data[s]!);
    const L = this.locks.data[s]!, start = this.start.data[s]!;
    for (let i = from; i < cut; i++) {
      const k = keys[i]!;
      if (this.readers.lastWriteOf(k) > start) continue;
      this.lowerLedger(k, L);
    }
    this.ledgerCut.set(s, from);
  }

  /**
   * The requests of g made its reads between them (ReaderMatching), which read is whose unknown.
   * A PREFIX request locks only the keys it found, and reads exactly those; so on key k the group
   * took at most the largest lock counts of as many of its requests as reads of g list k (since
   * k's last write), where the bound still counts every request of g listing k: cut the rest.
   * The bound then counts the group as a whole, so no position of its requests is cut again.
   */
  private settleGroup(requests: readonly number[], readCalls: readonly number[]): void {
    for (const q of requests) if (!this.prefixPolicy(q) || this.locks.data[q] === 0) return;
    if (requests.length === 1) return this.settleOne(requests[0]!, readCalls[0]!);
    const reads = new Map<number, number>();
    for (const r of readCalls) {
      const keys = this.src.keysOfCall(r);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        if (this.readers.lastWriteOf(k) < r) reads.set(k, (reads.get(k) ?? 0) + 1);
      }
    }
    const counted = new Map<number, number[]>();
    for (const q of requests) {
      const keys = this.src.keysOfCall(this.start.data[q]!);
      const L = this.locks.data[q]!, start = this.start.data[q]!, cut = this.ledgerCut.data[q]!;
      for (let i = 0; i < cut; i++) {
        const k = keys[i]!;
        if (this.readers.lastWriteOf(k) > start) continue;
        const ls = counted.get(k);
        if (ls) ls.push(L);
        else counted.set(k, [L]);
      }
      this.ledgerCut.set(q, 0);
    }
    for (const [k, ls] of counted) {
      const c = reads.get(k) ?? 0;
      if (c >= ls.length) continue;
      ls.sort((a, b) => b - a);
      let over = 0;
      for (let i = c; i < ls.length; i++) over += ls[i]!;
      this.lowerLedger(k, over);
    }
  }

  /** settleGroup for one request q and its read r, without the maps: q's keys outside r were never locked. */
  private settleOne(q: number, r: number): void {
    const keys = this.src.keysOfCall(this.start.data[q]!);
    const L = this.locks.data[q]!, start = this.start.data[q]!, cut = this.ledgerCut.data[q]!;
    const read = this.src.keysOfCall(r);
    // The common case: the read is q's prefix and its keys after were cut already (neverLocked).
    if (cut <= read.length && isPrefixOf(read, keys)) {
      this.ledgerCut.set(q, 0);
      return;
    }
    this.m2.mark(read);
    for (let i = 0; i < cut; i++) {
      const k = keys[i]!;
      const w = this.readers.lastWriteOf(k);
      if (w > start || (w < r && this.m2.positionOf(k) >= 0)) continue;
      this.lowerLedger(k, L);
    }
    this.ledgerCut.set(q, 0);
  }

  /** No open reservation of key k holds it: they were refused. */
  private refuseOpenWrites(k: number): void {
    for (let v = this.head.data[k]!; v !== 0; ) {
      const node = v - 1;
      const next = this.nNext.data[node]!;
      const s = this.nSpan.data[node]!;
      if (this.kind.data[s] === SpanKind.write && this.state.data[s] !== S_CLOSED) this.refuseSlot(s, this.nPos.data[node]!);
      v = next;
    }
  }

  private refuseSlot(s: number, pos: number): void {
    const j = this.poolOff.data[s]! + pos;
    if (this.wst.data[j] !== W_PENDING) return;
    this.wst.data[j] = W_FREED;
    this.nRefused.add(s, 1);
    if (this.live.add(s, -1) === 0) this.closeWrite(s);
  }

  /** Read span s did not hold its key at `pos` at a time it should have: decide the key. */
  private noReadLock(s: number, pos: number): void {
    const off = this.poolOff.data[s]!;
    const j = off + pos;
    const st = this.kst[j];
    if (st === K_PENDING && this.left[j]! > 0) {
      this.missSlot(s, j);
      // PREFIX stops at the first miss: none of the later keys was locked either.
      if (this.prefixPolicy(s)) {
        const n = this.nKeys.data[s]!;
        for (let i = pos + 1; i < n; i++) if (this.kst[off + i] === K_PENDING && this.left[off + i]! > 0) this.missSlot(s, off + i);
      }
    } else if (st === K_READ && this.left[j]! > 0) {
      this.kst[j] = K_EXIT_RELEASED;
      this.left[j] = 0;
      this.live.add(s, -1);
      this.nExitReleased.add(s, 1);
    }
    this.closeIfDone(s);
  }

  private missSlot(s: number, j: number): void {
    this.kst[j] = K_MISS;
    this.left[j] = 0;
    this.live.add(s, -1);
    this.nMiss.add(s, 1);
  }

  // ---- spans, pool and lists --------------------------------------------------------------

  private newSpan(kind: number, call: number, n: number, erid: number): number {
    const s = this.kind.length;
    this.kind.push(kind);
    this.state.push(S_SUBMITTED);
    this.start.push(call);
    this.enterCall.push(-1);
    this.exitCall.push(-1);
    this.endCall.push(-1);
    this.readList.push(-1);
    this.nKeys.push(n);
    this.found.push(-1);
    this.erid.push(erid);
    this.locks.push(0);
    this.opts.push(0);
    this.live.push(0);
    this.poolOff.push(0);
    this.nPaired.push(0);
    this.nMiss.push(0);
    this.nExitReleased.push(0);
    this.nRefused.push(0);
    this.inOpenReads.push(0);
    this.ledgerCut.push(n);
    this.callSpan.data[call] = s;
    return s;
  }

  private slotLive(s: number, pos: number): boolean {
    if (this.state.data[s] === S_CLOSED) return false;
    if (this.kind.data[s] === SpanKind.write) return this.wst.data[this.poolOff.data[s]! + pos] === W_PENDING;
    const j = this.poolOff.data[s]! + pos;
    return (this.kst[j] === K_PENDING || this.kst[j] === K_READ) && this.left[j]! > 0;
  }

  private closeIfDone(s: number): void {
    if (this.live.data[s] !== 0 || this.state.data[s] === S_CLOSED) return;
    this.state.data[s] = S_CLOSED;
    if (this.readList.data[s] === -1) this.found.set(s, 0);
    this.unlinkSpan(s);
    this.poolDead += this.nKeys.data[s]!;
    if (this.poolDead > 1 << 16 && this.poolDead * 2 > this.poolLen) this.compact();
  }

  private closeWrite(s: number): void {
    if (this.state.data[s] === S_CLOSED) return;
    this.state.data[s] = S_CLOSED;
    if (this.found.data[s] === -1) this.found.set(s, 0);
    this.unlinkSpan(s);
    this.openWrites.delete(s);
  }

  /** Removes span s's nodes from its keys' lists. */
  private unlinkSpan(s: number): void {
    const keys = this.src.keysOfCall(this.start.data[s]!);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      let prev = 0;
      for (let v = this.head.data[k]!; v !== 0; ) {
        const node = v - 1;
        const next = this.nNext.data[node]!;
        if (this.nSpan.data[node] === s) {
          if (prev === 0) this.head.data[k] = next;
          else this.nNext.data[prev - 1] = next;
          if (this.tail.data[k] === v) this.tail.data[k] = prev;
          this.nNext.data[node] = this.freeNode;
          this.freeNode = v;
          break;
        }
        prev = v;
        v = next;
      }
    }
  }

  private oldestLiveNode(k: number, kind: number): number {
    let best = -1;
    for (let v = this.head.data[k]!; v !== 0; v = this.nNext.data[v - 1]!) {
      const node = v - 1;
      const s = this.nSpan.data[node]!;
      if (this.kind.data[s] !== kind || !this.slotLive(s, this.nPos.data[node]!)) continue;
      // Prefer a read whose lock is proven (it was read) over one only submitted.
      if (kind === SpanKind.read && this.kst[this.poolOff.data[s]! + this.nPos.data[node]!] !== K_READ) {
        if (best < 0) best = node;
        continue;
      }
      return node;
    }
    return best;
  }

  private link(k: number, s: number, pos: number): void {
    let node: number;
    if (this.freeNode !== 0) {
      node = this.freeNode - 1;
      this.freeNode = this.nNext.data[node]!;
    } else {
      node = this.nSpan.length;
      this.nSpan.push(0);
      this.nPos.push(0);
      this.nNext.push(0);
    }
    this.nSpan.data[node] = s;
    this.nPos.data[node] = pos;
    this.nNext.data[node] = 0;
    const t = this.tail.data[k]!;
    if (t === 0) this.head.data[k] = node + 1;
    else this.nNext.data[t - 1] = node + 1;
    this.tail.data[k] = node + 1;
  }

  private alloc(n: number): number {
    if (this.poolLen + n > this.left.length) {
      let cap = this.left.length;
      while (cap < this.poolLen + n) cap *= 2;
      const left = new Int32Array(cap);
      left.set(this.left.subarray(0, this.poolLen));
      const kst = new Uint8Array(cap);
      kst.set(this.kst.subarray(0, this.poolLen));
      this.left = left;
      this.kst = kst;
    }
    const off = this.poolLen;
    this.poolLen += n;
    return off;
  }

  /** Moves the slots of open read spans to the front of the pool; closed spans need none. */
  private compact(): void {
    const open: number[] = [];
    for (const s of this.openReads) {
      if (this.state.data[s] !== S_CLOSED) open.push(s);
      else this.inOpenReads.data[s] = 0;
    }
    open.sort((a, b) => this.poolOff.data[a]! - this.poolOff.data[b]!);
    let o = 0;
    for (const s of open) {
      const off = this.poolOff.data[s]!, n = this.nKeys.data[s]!;
      this.left.copyWithin(o, off, off + n);
      this.kst.copyWithin(o, off, off + n);
      this.poolOff.data[s] = o;
      o += n;
    }
    this.openReads = open;
    this.poolLen = o;
    this.poolDead = 0;
  }

  private growKeys(n: number): void {
    if (n <= this.head.length) return;
    this.head.resize(n);
    this.tail.resize(n);
    this.ledger.resize(n);
    this.lastSubmit.resize(n);
    this.floor.resize(n);
    this.lastRead.resize(n);
    this.readers.grow(n);
    const from = this.lastTouch.length;
    this.lastTouch.resize(n);
    this.lastTouch.data.fill(-1, from, n);
    this.anomalyBits.resize(n);
  }

  private anomaly(kind: FlagKind, call: number, keys: ArrayLike<number>): void {
    const bit = ANOMALY_BIT[kind]!;
    const code = FLAG_KINDS.indexOf(kind);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      if ((this.anomalyBits.data[k]! & bit) === 0) {
        this.anomalyBits.data[k]! |= bit;
        this.anomalyKeys[code]!++;
      }
      if (this.anKind.length < MAX_ANOMALY_EVENTS) {
        this.anKind.push(code);
        this.anCall.push(call);
        this.anKey.push(k);
      }
    }
  }

  // ---- reading the state (reports: request-report.ts) ------------------------------------

  /** The span a call belongs to, or -1. */
  spanOfCall(call: number): number {
    return call < this.callSpan.length ? this.callSpan.data[call]! : -1;
  }

  /** Live views of the span columns (valid until the next add). */
  spanColumns(): SpanColumns {
    return {
      length: this.kind.length,
      kind: this.kind.view(),
      state: this.state.view(),
      start: this.start.view(),
      enter: this.enterCall.view(),
      exit: this.exitCall.view(),
      end: this.endCall.view(),
      readList: this.readList.view(),
      keys: this.nKeys.view(),
      found: this.found.view(),
      erid: this.erid.view(),
      locks: this.locks.view(),
      paired: this.nPaired.view(),
      misses: this.nMiss.view(),
      exitReleased: this.nExitReleased.view(),
      refused: this.nRefused.view(),
    };
  }

  /** Distinct keys per anomaly kind (indexed by FLAG_KINDS). */
  anomalyKeyCounts(): readonly number[] {
    return this.anomalyKeys;
  }

  /** The kept anomaly occurrences: (FLAG_KINDS index, call, key). */
  anomalies(): { kind: Uint8Array; call: Uint32Array; key: Uint32Array } {
    return { kind: this.anKind.view(), call: this.anCall.view(), key: this.anKey.view() };
  }

  /**
   * Visits every key slot of the open spans: `held` is true for a read lock proven held, false for
   * one that may be held (undecided); writes report pending reservations (undecided).
   */
  forEachOpenSlot(visit: (span: number, key: number, kind: SpanKind, held: boolean) => void): void {
    for (const s of this.openReads) {
      if (this.state.data[s] === S_CLOSED) continue;
      const keys = this.src.keysOfCall(this.start.data[s]!);
      const off = this.poolOff.data[s]!;
      for (let i = 0; i < keys.length; i++) {
        const j = off + i;
        if (this.left[j]! <= 0) continue;
        if (this.kst[j] === K_READ) visit(s, keys[i]!, SpanKind.read, true);
        else if (this.kst[j] === K_PENDING) visit(s, keys[i]!, SpanKind.read, false);
      }
    }
    for (const s of this.openWrites) {
      const keys = this.src.keysOfCall(this.start.data[s]!);
      const off = this.poolOff.data[s]!;
      for (let i = 0; i < keys.length; i++) if (this.wst.data[off + i] === W_PENDING) visit(s, keys[i]!, SpanKind.write, false);
    }
  }

  /** The upper bound on read locks key k may hold now (see `ledger`). */
  possibleReadLocks(k: number): number {
    return k < this.ledger.length ? this.ledger.data[k]! : 0;
  }

  /** A lower bound on the read locks key k holds now (`floor`, ReaderBound.heldAtLeast): above 0 means proven held. */
  provenReadLocks(k: number): number {
    return k < this.floor.length ? Math.max(this.floor.data[k]!, this.readers.heldAtLeast(k)) : 0;
  }

  /** Keys proven to hold a read lock, with the last read that listed them. */
  forEachProvenReadLocked(visit: (key: number, lastRead: number) => void): void {
    for (let k = 0; k < this.floor.length; k++) if (this.lastRead.data[k] !== 0 && this.provenReadLocks(k) > 0) visit(k, this.lastRead.data[k]! - 1);
  }

  /** Keys whose upper bound on read locks is above 0, with the last prefetch that listed them. */
  forEachPossiblyReadLocked(visit: (key: number, lastSubmit: number) => void): void {
    const l = this.ledger.data;
    for (let k = 0; k < this.ledger.length; k++) if (l[k]! > 0) visit(k, this.lastSubmit.data[k]! - 1);
  }

  /** What happened to key k in span s. */
  keyFate(s: number, k: number): KeyFate {
    const pos = indexOf(this.src.keysOfCall(this.start.data[s]!), k);
    if (pos < 0) return 'miss';
    if (this.kind.data[s] === SpanKind.write) {
      const st = this.wst.data[this.poolOff.data[s]! + pos];
      return st === W_WRITTEN ? 'written' : st === W_PENDING ? 'pending' : 'refused';
    }
    if (this.locks.data[s] === 0) return 'no_lock';
    if (this.state.data[s] !== S_CLOSED) {
      const j = this.poolOff.data[s]! + pos;
      const st = this.kst[j];
      if ((st === K_READ || st === K_PENDING) && this.left[j]! > 0) return st === K_READ ? 'held' : 'undecided';
      return st === K_MISS ? 'miss' : 'released';
    }
    // Closed spans keep no slots: the keys of the list that decided what was found were released.
    const list = this.readList.data[s]!;
    return list >= 0 && indexOf(this.src.keysOfCall(list), k) >= 0 ? 'released' : 'miss';
  }

  timeOf(call: number): number {
    return this.src.timeOf(call);
  }

  /** Every call's t_mono (see CallSource.times). */
  times(): Float64Array {
    return this.src.times();
  }
}

/** Live views of the tracker's span columns. */
export interface SpanColumns {
  // Counts are CountArrays: signed bytes until a value needs more (growable.ts CountColumn).
  length: number;
  kind: Uint8Array;
  state: Uint8Array;
  start: Int32Array;
  enter: Int32Array;
  exit: Int32Array;
  end: Int32Array;
  readList: Int32Array;
  keys: CountArray;
  found: CountArray;
  erid: Uint32Array;
  locks: CountArray;
  paired: CountArray;
  misses: CountArray;
  exitReleased: CountArray;
  refused: CountArray;
}

export const SPAN_CLOSED = S_CLOSED;

function sameList(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function indexOf(list: ArrayLike<number>, k: number): number {
  for (let i = 0; i < list.length; i++) if (list[i] === k) return i;
  return -1;
}

function maxOf(list: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < list.length; i++) if (list[i]! > m) m = list[i]!;
  return m;
}

/**
 * Removes every `x` from `list` in place (the lists of recent spans; a filter() made a new array
 * each time). The repairs that iterate these lists return as soon as they change one.
 */
function removeAll(list: number[], x: number): void {
  let w = 0;
  for (let i = 0; i < list.length; i++) if (list[i] !== x) list[w++] = list[i]!;
  if (w < list.length) list.length = w;
}
