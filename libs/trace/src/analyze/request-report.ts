import { durationStatsOfSorted } from './percentiles.ts';
import { SPAN_CLOSED, type RequestTracker } from './request-tracker.ts';
import {
  FLAG_KINDS,
  PHASES,
  SPAN_STATUS_NAMES,
  SpanKind,
  SpanStatus,
  type CountArray,
  type DurationStats,
  type FlagGroup,
  type FlagKind,
  type KeySpan,
  type PhaseName,
  type RequestSpans,
  type RequestSummary,
} from './types.ts';

/**
 * Reports over a RequestTracker: the end-of-trace lock figures, request spans with their status,
 * per-phase durations (one per request), flags grouped by the calls that explain them, and one
 * key's spans. Everything is computed from the tracker's state at the moment of the call, so a
 * live trace can be reported on at any point; callers cache by `tracker.revision`.
 */

/** Which keys may hold a lock at the end, and the span slots that say so. */
interface EndState {
  /** Read locks proven held: the per-key lower bound is above 0. */
  readHeld: Set<number>;
  /** Keys that may hold a read lock, not proven (leaked keys excluded). */
  readMaybe: Set<number>;
  writeMaybe: Set<number>;
  /** Open slots: span, key, kind of flag. */
  slots: { span: number; key: number; kind: FlagKind }[];
  /** Keys flagged by a per-key bound with no open slot saying so (the pairing freed them), with a call listing each. */
  boundOnly: { key: number; call: number; kind: FlagKind }[];
}

/**
 * The end-of-trace classification. Whether a key is leaked or may be held is decided per key by
 * the tracker's pairing-free bounds (floor: proven held; ledger: may be held), so confusing
 * requests with identical keys can neither invent a leak nor hide a held lock; the pairing only
 * says which request each flag points at.
 */
function endState(t: RequestTracker): EndState {
  const readHeld = new Set<number>(), readMaybe = new Set<number>(), writeMaybe = new Set<number>();
  const slots: EndState['slots'] = [];
  t.forEachProvenReadLocked((k) => readHeld.add(k));
  t.forEachOpenSlot((s, k, kind, proven) => {
    if (kind === SpanKind.write) {
      writeMaybe.add(k);
      slots.push({ span: s, key: k, kind: 'write_undecided' });
      return;
    }
    const held = proven && readHeld.has(k);
    if (!readHeld.has(k)) readMaybe.add(k);
    slots.push({ span: s, key: k, kind: held ? 'read_leaked' : 'read_undecided' });
  });
  const flagged = new Set(slots.filter((x) => x.kind === 'read_leaked').map((x) => x.key));
  const boundOnly: EndState['boundOnly'] = [];
  t.forEachProvenReadLocked((k, call) => {
    if (!flagged.has(k)) boundOnly.push({ key: k, call, kind: 'read_leaked' });
  });
  t.forEachPossiblyReadLocked((k, call) => {
    if (readHeld.has(k) || readMaybe.has(k)) return;
    readMaybe.add(k);
    boundOnly.push({ key: k, call, kind: 'read_undecided' });
  });
  return { readHeld, readMaybe, writeMaybe, slots, boundOnly };
}

/** Status of every span at the end of what has been read. */
export function spanStatuses(t: RequestTracker): Uint8Array {
  const cols = t.spanColumns();
  const out = new Uint8Array(cols.length);
  const held = new Uint8Array(cols.length);
  for (const x of endState(t).slots) if (x.kind === 'read_leaked') held[x.span] = 1;
  for (let s = 0; s < cols.length; s++) {
    const closed = cols.state[s] === SPAN_CLOSED;
    if (cols.kind[s] === SpanKind.write) out[s] = !closed ? SpanStatus.undecided : cols.end[s] !== -1 ? SpanStatus.done : SpanStatus.refused;
    else if (cols.locks[s] === 0 && closed) out[s] = cols.keys[s] === 0 ? SpanStatus.miss : SpanStatus.warm;
    else if (held[s] === 1) out[s] = SpanStatus.leaked;
    else if (!closed) out[s] = SpanStatus.undecided;
    else out[s] = cols.found[s]! > 0 ? SpanStatus.done : SpanStatus.miss;
  }
  return out;
}

/**
 * The spans as columnar data. `shared`: the analysis is complete (no call will be added), so the
 * span columns are views of the tracker's, not copies; otherwise they are a snapshot, which later
 * calls do not change (a live trace). Times are read from the index's time column (RequestSpans).
 */
export function requestSpans(t: RequestTracker, shared = false): RequestSpans {
  const c = t.spanColumns();
  const own = <T extends Uint8Array | Int32Array | Uint32Array | CountArray>(a: T): T => (shared ? a : (a.slice() as T));
  const spans = {
    length: c.length,
    kind: own(c.kind),
    status: spanStatuses(t),
    start: own(c.start),
    enter: own(c.enter),
    exit: own(c.exit),
    end: own(c.end),
    time: t.times(),
    keys: own(c.keys),
    found: own(c.found),
    erid: own(c.erid),
  };
  if (shared) return spans;
  // A snapshot outlives the calls added after it, and the time column's growth detaches the array
  // it viewed (growable.ts `moved`): then it takes a view of the new one. A call's time never
  // changes, so the live column answers for the snapshot's calls as the old view did.
  let time = spans.time;
  return Object.defineProperty(spans, 'time', {
    enumerable: true,
    get: (): Float64Array => (time.buffer.byteLength === 0 ? (time = t.times()) : time),
  });
}

/** t_mono of a span's call, NaN where the span has none (-1). */
const timeAt = (spans: RequestSpans, call: number): number => (call < 0 ? NaN : spans.time[call]!);
/** When span s was submitted (read) or reserved (write). */
export const spanT0 = (spans: RequestSpans, s: number): number => timeAt(spans, spans.start[s]!);
/** When read span s entered its read (NaN: not yet, or a write). */
export const spanTEnter = (spans: RequestSpans, s: number): number => timeAt(spans, spans.enter[s]!);
/** When read span s left its read (NaN: not yet, or a write). */
export const spanTExit = (spans: RequestSpans, s: number): number => timeAt(spans, spans.exit[s]!);
/** When span s ended: the release of a read, the finish of a write; NaN while open. */
export const spanT1 = (spans: RequestSpans, s: number): number => timeAt(spans, spans.end[s]!);

/** Seconds of each phase of span s, NaN where the phase is not complete. */
export function phaseDuration(spans: RequestSpans, s: number, phase: PhaseName): number {
  const read = spans.kind[s] === SpanKind.read;
  switch (phase) {
    case 'write':
      return read ? NaN : spanT1(spans, s) - spanT0(spans, s);
    case 'read':
      return read ? spanT1(spans, s) - spanT0(spans, s) : NaN;
    case 'read_wait':
      return read ? spanTEnter(spans, s) - spanT0(spans, s) : NaN;
    case 'read_body':
      return read ? spanTExit(spans, s) - spanTEnter(spans, s) : NaN;
    case 'read_release':
      return read ? spanT1(spans, s) - spanTExit(spans, s) : NaN;
  }
}

/**
 * Every span's duration in one phase (NaN-free), for statistics and histograms. With `into` (at
 * least spans.length long) they are written there and a view of it is returned, so phases taken
 * one after another share one buffer; without it, a new array of their count.
 */
export function phaseDurations(spans: RequestSpans, phase: PhaseName, into?: Float64Array): Float64Array {
  const out = into ?? new Float64Array(spans.length);
  if (out.length < spans.length) throw new RangeError(`phaseDurations: a buffer of ${out.length} for ${spans.length} spans`);
  let m = 0;
  for (let s = 0; s < spans.length; s++) {
    const d = phaseDuration(spans, s, phase);
    if (!Number.isNaN(d)) out[m++] = d;
  }
  return into ? out.subarray(0, m) : out.slice(0, m);
}

/** Every span's duration in one phase, ascending (in `into`, as phaseDurations). */
export const sortedPhaseDurations = (spans: RequestSpans, phase: PhaseName, into?: Float64Array): Float64Array => phaseDurations(spans, phase, into).sort();

/**
 * Each phase's statistics and whatever else `alsoSorted` makes of its ascending durations (the
 * Requests tab's histograms), one phase at a time in one buffer: holding every phase's sorted
 * durations at once was ~9 MB of a 1M-call trace's load just before it is indexed. `sorted` is
 * valid during the callback only (the next phase overwrites it): keep a copy, never the view.
 */
export function phaseStats<T = undefined>(spans: RequestSpans, alsoSorted?: (phase: PhaseName, sorted: Float64Array) => T): { stats: Record<PhaseName, DurationStats>; also: Record<PhaseName, T> } {
  const buf = new Float64Array(spans.length);
  const stats = {} as Record<PhaseName, DurationStats>;
  const also = {} as Record<PhaseName, T>;
  for (const p of PHASES) {
    const sorted = sortedPhaseDurations(spans, p, buf);
    stats[p] = durationStatsOfSorted(sorted);
    if (alsoSorted) also[p] = alsoSorted(p, sorted);
  }
  return { stats, also };
}

/**
 * The figures of `kvtrace analyze` and the inspector's Requests tab. `stats`: each phase's duration
 * statistics, for a caller that computes them with other figures (phaseStats).
 */
export function requestSummary(t: RequestTracker, spans: RequestSpans = requestSpans(t), stats: Record<PhaseName, DurationStats> = phaseStats(spans).stats): RequestSummary {
  const { readHeld, readMaybe, writeMaybe } = endState(t);

  const requests = { total: 0, with_hits: 0, all_miss: 0, undecided: 0, leaked: 0, warm: 0, writes: 0, unpaired_reads: t.unpairedReadCalls };
  for (let s = 0; s < spans.length; s++) {
    if (spans.kind[s] === SpanKind.write) {
      requests.writes++;
      continue;
    }
    requests.total++;
    const st = spans.status[s]!;
    if (st === SpanStatus.warm) requests.warm++;
    else if (st === SpanStatus.miss) requests.all_miss++;
    else if (spans.found[s]! > 0) requests.with_hits++;
    else if (st === SpanStatus.undecided) requests.undecided++;
    if (st === SpanStatus.leaked) requests.leaked++;
  }
  const cols = t.spanColumns();
  const c = { writesPaired: 0, writesRefused: 0, readsPaired: 0, misses: 0, releasedAtExit: 0 };
  for (let s = 0; s < cols.length; s++) {
    if (cols.kind[s] === SpanKind.write) {
      c.writesPaired += Math.max(0, cols.found[s]!);
      c.writesRefused += cols.refused[s]!;
    } else {
      c.readsPaired += cols.paired[s]!;
      c.misses += cols.misses[s]!;
      c.releasedAtExit += cols.exitReleased[s]!;
    }
  }
  const phases: RequestSummary['phases'] = { ...stats };
  const flagCounts = {} as Record<FlagKind, number>;
  const anomalies = t.anomalyKeyCounts();
  FLAG_KINDS.forEach((k, i) => (flagCounts[k] = anomalies[i]!));
  flagCounts.read_leaked = readHeld.size;
  flagCounts.read_undecided = readMaybe.size;
  flagCounts.write_undecided = writeMaybe.size;
  return {
    requests,
    lifecycles: {
      writes_paired: c.writesPaired,
      writes_refused: c.writesRefused,
      writes_leaked: 0,
      writes_undecided: writeMaybe.size,
      reads_paired: c.readsPaired,
      reads_leaked: readHeld.size,
      reads_undecided: readMaybe.size,
      misses: c.misses,
      reads_released_at_exit: c.releasedAtExit,
    },
    flagCounts,
    phases,
    unknownShape: t.unknownShapeCalls,
  };
}

/**
 * Flags grouped by the calls that explain them, at most `limit`, optionally of one kind: the
 * end-of-trace flags (leaked and undecided locks) one group per span with its keys, then the
 * anomalies one group per call.
 */
export function flagGroups(t: RequestTracker, kind?: FlagKind, limit = Infinity): FlagGroup[] {
  const cols = t.spanColumns();
  const bySpan = new Map<string, FlagGroup>();
  const st = endState(t);
  for (const { span: s, key: k, kind: fk } of st.slots) {
    if (kind !== undefined && fk !== kind) continue;
    const id = `${fk}|${s}`;
    let g = bySpan.get(id);
    if (!g) {
      const calls = [cols.start[s]!, cols.enter[s]!, cols.exit[s]!, cols.end[s]!].filter((c) => c >= 0);
      g = { kind: fk, calls, keyIds: [], span: s };
      bySpan.set(id, g);
    }
    g.keyIds.push(k);
  }
  for (const { key, call, kind: fk } of st.boundOnly) {
    if (kind !== undefined && fk !== kind) continue;
    const id = `bound|${fk}|${call}`;
    let g = bySpan.get(id);
    if (!g) {
      g = { kind: fk, calls: call >= 0 ? [call] : [], keyIds: [], span: -1 };
      bySpan.set(id, g);
    }
    g.keyIds.push(key);
  }
  const out = [...bySpan.values()];
  const an = t.anomalies();
  const byCall = new Map<string, FlagGroup>();
  for (let i = 0; i < an.kind.length; i++) {
    const fk = FLAG_KINDS[an.kind[i]!]!;
    if (kind !== undefined && fk !== kind) continue;
    const id = `${fk}|${an.call[i]}`;
    let g = byCall.get(id);
    if (!g) {
      g = { kind: fk, calls: [an.call[i]!], keyIds: [], span: -1 };
      byCall.set(id, g);
    }
    g.keyIds.push(an.key[i]!);
  }
  out.push(...byCall.values());
  const rank = (g: FlagGroup) => FLAG_KINDS.indexOf(g.kind);
  out.sort((a, b) => rank(a) - rank(b) || (a.calls[0] ?? 0) - (b.calls[0] ?? 0));
  return out.slice(0, limit);
}

/** The spans touching key k (found through the calls that list it), with the key's fate in each. */
export function keySpans(t: RequestTracker, k: number, callsOfKey: ArrayLike<number>, statuses: Uint8Array = spanStatuses(t)): KeySpan[] {
  const cols = t.spanColumns();
  const seen = new Set<number>();
  const out: KeySpan[] = [];
  for (let i = 0; i < callsOfKey.length; i++) {
    const s = t.spanOfCall(callsOfKey[i]!);
    if (s < 0 || seen.has(s)) continue;
    seen.add(s);
    const read = cols.kind[s] === SpanKind.read;
    out.push({
      span: s,
      kind: read ? 'read' : 'write',
      calls: read ? [cols.start[s]!, cols.enter[s]!, cols.exit[s]!, cols.end[s]!] : [cols.start[s]!, cols.end[s]!],
      status: SPAN_STATUS_NAMES[statuses[s]!]!,
      keyFate: t.keyFate(s, k),
    });
  }
  return out;
}

/** Seconds from the span's first call to its last (NaN while open): the `dur` of a query. */
export function spanDuration(spans: RequestSpans, s: number): number {
  return spanT1(spans, s) - spanT0(spans, s);
}

/** The flags involving key k: its open locks at the end, and the anomalies raised for it. */
export function keyFlags(t: RequestTracker, k: number): FlagGroup[] {
  const cols = t.spanColumns();
  const out: FlagGroup[] = [];
  const st = endState(t);
  for (const x of st.slots) {
    if (x.key !== k) continue;
    const s = x.span;
    out.push({ kind: x.kind, calls: [cols.start[s]!, cols.enter[s]!, cols.exit[s]!, cols.end[s]!].filter((c) => c >= 0), keyIds: [k], span: s });
  }
  for (const b of st.boundOnly) if (b.key === k) out.push({ kind: b.kind, calls: b.call >= 0 ? [b.call] : [], keyIds: [k], span: -1 });
  const an = t.anomalies();
  for (let i = 0; i < an.kind.length; i++) if (an.key[i] === k) out.push({ kind: FLAG_KINDS[an.kind[i]!]!, calls: [an.call[i]!], keyIds: [k], span: -1 });
  return out;
}
