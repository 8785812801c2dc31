/**
 * The high level of the trace builder: seeded, serving-shaped storage-manager traffic.
 *
 * Requests look up a run of chunk keys. Most start a conversation on a document drawn by Zipf
 * popularity (documents share their leading chunks, as prompts share a system prompt or a file);
 * some are follow-up turns of a recent conversation (its keys, then new chunks). Each request is a
 * flow of calls, as a serving engine makes them:
 *   submit_prefetch_task(keys, external_request_id "req-N")
 *   → if a leading prefix is cached: read_prefetched_results enter/exit of it → finish_read_prefetched
 *   → the rest: reserve_write(mode "new") → finish_write of the keys this request reserved.
 * What is cached is the builder's own model (finished writes, optionally LRU-bounded), so hits come
 * from the traffic itself. Several requests are in flight at once (`concurrency`), their calls
 * interleaved at random; gaps between calls are exponential around `gapS`.
 */
import { SM_METHODS } from '../format/spec.ts';
import { AttnWindowDesc, MemoryLayoutDesc, ObjectKey, PrefetchMode, TrimPolicy, type CallEvent } from '../model.ts';
import { seededRandom } from '../util/random.ts';
import { CHUNK_LAYOUT, TEST_KV_RANK, TEST_MODELS, freshCopies, randomHash } from './keys.ts';
import type { SmArgs, SmMethod } from './methods.ts';
import { TraceBuilder, type HeaderOptions } from './trace-builder.ts';

/** One generated call: what TraceBuilder.call takes. */
export interface TrafficCall<M extends SmMethod = SmMethod> {
  method: M;
  /** Seconds since the trace start. */
  t: number;
  args: SmArgs<M>;
}

export interface TrafficOptions {
  /** Same seed, same calls (default 1). */
  seed?: number;
  /** Requests to run to completion. At least one of `requests` and `records` is required. */
  requests?: number;
  /** Stop after exactly this many calls (a request in flight at the end stays unfinished). */
  records?: number;
  /** Requests in flight at once, their calls interleaved (default 4). */
  concurrency?: number;
  /** Keys per request: a number, or an inclusive [min, max] range (default 16). */
  keysPerCall?: number | readonly [number, number];
  /** Distinct documents (shared prefixes), drawn with Zipf popularity (default 64). */
  documents?: number;
  /** Zipf exponent of document popularity (default 1.1). */
  zipf?: number;
  /** Probability that a request is a follow-up turn of a recent conversation (default 0.3). */
  followUp?: number;
  /** Models; document d belongs to models[d % models.length] (default two models). */
  models?: readonly string[];
  /** The layout of every object (default one 32 MiB LMCache chunk). */
  layout?: MemoryLayoutDesc;
  /** Mean seconds between two calls (default 0.5 ms), before `timeScale`. */
  gapS?: number;
  /** Multiplies every gap (2: half the rate). */
  timeScale?: number;
  /** Time of the first call (default 0). */
  startS?: number;
  /** The cache model keeps at most this many keys, least recently used out first (default: all). */
  cacheKeys?: number;
  /** New ObjectKey objects for every call, as a server decoding requests makes them (benchmarks). */
  freshKeys?: boolean;
  /**
   * Every lookup misses (the cache model keeps nothing) and requests run one at a time, so every
   * call (prefetch, reserve_write, finish_write) carries exactly `keysPerCall` keys: record-size tests.
   */
  allMisses?: boolean;
}

/** Counts of what was generated, for tests that assert on them. */
export interface TrafficSummary {
  records: number;
  requests: number;
  /** Calls per method. */
  byMethod: Partial<Record<SmMethod, number>>;
  /** Keys read (found prefixes) and looked up, over all requests. */
  keysFound: number;
  keysLookedUp: number;
  /**
   * Once the traffic is over (the generator ran to its end): the requests cut off between their
   * prefetch and their release by `records`, with the keys each found (and holds 1 lock on; none
   * for one whose prefetch found nothing), the keys it listed, and whether it read them. The ground
   * truth of a lock analysis.
   */
  inFlight?: { read: boolean; keys: ObjectKey[]; listed: ObjectKey[] }[];
}

const ATTN_FULL = new AttnWindowDesc([-1]);
/** Ids of conversation-own chunks start here; document chunks are d * MAX_CHUNKS + i below it. */
const MAX_CHUNKS = 1 << 16;
const CONVERSATION_BASE = 2 ** 40;
const RECENT_CONVERSATIONS = 64;

interface Conversation {
  doc: number;
  ids: number[];
  keys: ObjectKey[];
}

interface Request {
  n: number;
  ids: number[];
  keys: ObjectKey[];
  step: 'prefetch' | 'enter' | 'exit' | 'release' | 'reserve' | 'finish' | 'done';
  found: number;
  reserved: number[];
}

function required(o: TrafficOptions): void {
  if (o.requests === undefined && o.records === undefined) throw new Error('traffic needs `requests` or `records` (or both)');
  const [lo, hi] = keyRange(o);
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && lo >= 1 && hi >= lo && hi < MAX_CHUNKS)) throw new Error(`keysPerCall must be an integer or [min, max] with 1 <= min <= max, got ${JSON.stringify(o.keysPerCall)}`);
  if (o.concurrency !== undefined && !(Number.isInteger(o.concurrency) && o.concurrency >= 1)) throw new Error(`concurrency must be an integer >= 1, got ${o.concurrency}`);
}

const keyRange = (o: TrafficOptions): readonly [number, number] => {
  const k = o.keysPerCall ?? 16;
  return typeof k === 'number' ? [k, k] : k;
};

/** The generated calls, in trace order. `summary` (when given) is filled in as they are made. */
export function* trafficCalls(o: TrafficOptions, summary?: TrafficSummary): Generator<TrafficCall> {
  required(o);
  const seed = o.seed ?? 1;
  const rand = seededRandom(seed);
  const [kMin, kMax] = keyRange(o);
  const models = o.models ?? TEST_MODELS;
  const layout = o.layout ?? CHUNK_LAYOUT;
  const gap = (o.gapS ?? 0.0005) * (o.timeScale ?? 1);
  const followUp = o.followUp ?? 0.3;
  const concurrency = o.allMisses ? 1 : (o.concurrency ?? 4);
  const maxRecords = o.records ?? Infinity;
  const maxRequests = o.requests ?? Infinity;
  const cap = o.allMisses ? 0 : (o.cacheKeys ?? Infinity);
  const pickDoc = zipfSampler(o.documents ?? 64, o.zipf ?? 1.1, rand);
  const s = summary ?? emptySummary();

  const docKeys = new Map<number, ObjectKey>();
  const docKey = (doc: number, i: number): ObjectKey => {
    const id = doc * MAX_CHUNKS + i;
    let k = docKeys.get(id);
    if (!k) {
      k = new ObjectKey(randomHash(seededRandom(mix(seed, doc, i))), models[doc % models.length]!, TEST_KV_RANK, 0, '', true);
      docKeys.set(id, k);
    }
    return k;
  };
  let nextOwnId = CONVERSATION_BASE;
  const recent: Conversation[] = [];
  /** Finished keys (readable), in least-recently-used-first order. */
  const cached = new Map<number, true>();
  /** Keys reserved by a request in flight (another request's reserve of them conflicts). */
  const reserving = new Set<number>();

  const newRequest = (n: number): Request => {
    const len = kMin + Math.floor(rand() * (kMax - kMin + 1));
    let conv: Conversation;
    const prev = recent.length > 0 && rand() < followUp ? recent[Math.floor(rand() * recent.length)]! : null;
    if (prev) {
      // A follow-up turn: the earlier turn's keys (at most len - 1 of them), then new chunks.
      const shared = Math.min(prev.ids.length, len - 1);
      const ids = prev.ids.slice(0, shared);
      const keys = prev.keys.slice(0, shared);
      const model = models[prev.doc % models.length]!;
      for (let i = shared; i < len; i++) {
        const id = nextOwnId++;
        ids.push(id);
        keys.push(new ObjectKey(randomHash(seededRandom(mix(seed, Math.floor(id / MAX_CHUNKS), id % MAX_CHUNKS))), model, TEST_KV_RANK, 0, '', true));
      }
      conv = { doc: prev.doc, ids, keys };
    } else {
      const doc = pickDoc();
      const ids = Array.from({ length: len }, (_, i) => doc * MAX_CHUNKS + i);
      conv = { doc, ids, keys: ids.map((_, i) => docKey(doc, i)) };
    }
    recent.push(conv);
    if (recent.length > RECENT_CONVERSATIONS) recent.shift();
    s.requests++;
    return { n, ids: conv.ids, keys: conv.keys, step: 'prefetch', found: 0, reserved: [] };
  };
  const keysOf = (keys: readonly ObjectKey[]): ObjectKey[] => (o.freshKeys ? freshCopies(keys) : (keys as ObjectKey[]));

  const active: Request[] = [];
  let started = 0;
  let t = o.startS ?? 0;
  while (s.records < maxRecords) {
    while (active.length < concurrency && started < maxRequests) active.push(newRequest(started++));
    if (active.length === 0) break;
    const slot = Math.floor(rand() * active.length);
    const r = active[slot]!;
    t += -Math.log(1 - rand()) * gap;
    let call: TrafficCall;
    switch (r.step) {
      case 'prefetch': {
        // PREFIX policy: only the contiguous leading hits are read.
        let found = 0;
        while (found < r.ids.length && cached.has(r.ids[found]!)) found++;
        for (let i = 0; i < found; i++) touch(cached, r.ids[i]!);
        r.found = found;
        s.keysFound += found;
        s.keysLookedUp += r.ids.length;
        call = at(SM_METHODS.submitPrefetchTask, t, {
          keys: keysOf(r.keys),
          layout_desc: layout,
          extra_count: 0,
          external_request_id: `req-${r.n}`,
          policy: TrimPolicy.PREFIX,
          attn_desc: ATTN_FULL,
          skip_l2: false,
          mode: PrefetchMode.LOOKUP,
        });
        r.step = found > 0 ? 'enter' : 'reserve';
        break;
      }
      case 'enter':
        call = at(SM_METHODS.readPrefetchedEnter, t, { keys: keysOf(r.keys.slice(0, r.found)) });
        r.step = 'exit';
        break;
      case 'exit':
        call = at(SM_METHODS.readPrefetchedExit, t, { keys: keysOf(r.keys.slice(0, r.found)) });
        r.step = 'release';
        break;
      case 'release':
        call = at(SM_METHODS.finishReadPrefetched, t, { keys: keysOf(r.keys.slice(0, r.found)), extra_count: 0 });
        r.step = r.found < r.ids.length ? 'reserve' : 'done';
        break;
      case 'reserve': {
        // mode "new" reserves the absent keys no other request holds; finish_write names only those.
        for (let i = r.found; i < r.ids.length; i++) {
          const id = r.ids[i]!;
          if (!cached.has(id) && !reserving.has(id)) {
            reserving.add(id);
            r.reserved.push(i);
          }
        }
        call = at(SM_METHODS.reserveWrite, t, { keys: keysOf(r.keys.slice(r.found)), layout_desc: layout, mode: 'new' });
        r.step = r.reserved.length > 0 ? 'finish' : 'done';
        break;
      }
      default: {
        for (const i of r.reserved) {
          const id = r.ids[i]!;
          reserving.delete(id);
          cached.set(id, true);
          if (cached.size > cap) cached.delete(cached.keys().next().value!);
        }
        call = at(SM_METHODS.finishWrite, t, { keys: keysOf(r.reserved.map((i) => r.keys[i]!)) });
        r.step = 'done';
      }
    }
    if (r.step === 'done') {
      active[slot] = active[active.length - 1]!;
      active.pop();
    }
    s.records++;
    s.byMethod[call.method] = (s.byMethod[call.method] ?? 0) + 1;
    yield call;
  }
  // What the traffic leaves held: requests cut off between their prefetch and their release (one
  // that found nothing holds nothing, but lists keys a reader of the trace cannot rule out).
  s.inFlight = active.filter((r) => r.step === 'enter' || r.step === 'exit' || r.step === 'release' || (r.found === 0 && (r.step === 'reserve' || r.step === 'finish'))).map((r) => ({ read: r.step === 'exit' || r.step === 'release', keys: r.keys.slice(0, r.found), listed: r.keys }));
}

const at = <M extends SmMethod>(method: M, t: number, args: SmArgs<M>): TrafficCall => ({ method, t, args }) as TrafficCall;

function touch(lru: Map<number, true>, id: number): void {
  lru.delete(id);
  lru.set(id, true);
}

const emptySummary = (): TrafficSummary => ({ records: 0, requests: 0, byMethod: {}, keysFound: 0, keysLookedUp: 0 });

/** A 32-bit seed from a few integers (murmur3's finaliser over a running mix). */
function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x85ebca6b);
    h = Math.imul(h ^ Math.floor(x / 2 ** 32), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** Draws 0..n-1 with probability proportional to 1 / (rank + 1)^s. */
function zipfSampler(n: number, s: number, rand: () => number): () => number {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`documents must be an integer >= 1, got ${n}`);
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1) ** s;
  return () => {
    const u = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Writes the traffic into a builder; returns what was written. */
export function writeTraffic(b: TraceBuilder, o: TrafficOptions): TrafficSummary {
  const s = emptySummary();
  for (const c of trafficCalls(o, s)) b.call(c.method, c.t, c.args);
  return s;
}

/** A whole trace of the traffic, in memory. */
export function trafficTrace(o: TrafficOptions, header: HeaderOptions = {}): { bytes: Uint8Array; summary: TrafficSummary } {
  const b = TraceBuilder.memory(header);
  const summary = writeTraffic(b, o);
  return { bytes: b.bytes(), summary };
}

/** The traffic as the call events the traced wrapper publishes (recorder and bus tests, benchmarks). */
export function trafficEvents(o: TrafficOptions): CallEvent[] {
  const b = TraceBuilder.memory();
  return Array.from(trafficCalls(o), (c) => b.event(c.method, c.t, c.args));
}

/**
 * The "small calls" shape, for row-count tests of big traces: the methods whose only list is
 * `keys` (finish_write, read enter/exit, finish_read_prefetched) in turn, `keys` keys in one call of
 * every `keyEvery` and an empty list in the others, 0.1 ms apart.
 */
export function* smallCalls(o: { records: number; keys?: number; keyEvery?: number; seed?: number }): Generator<TrafficCall> {
  const rand = seededRandom(o.seed ?? 1);
  const per = o.keys ?? 4;
  const every = o.keyEvery ?? 1;
  if (!(Number.isInteger(per) && per >= 0 && per <= 1024)) throw new Error(`keys must be an integer in 0..1024, got ${per}`);
  const pool = Array.from({ length: 1024 }, (_, i) => new ObjectKey(randomHash(rand), TEST_MODELS[i % TEST_MODELS.length]!, TEST_KV_RANK, 0, '', true));
  const empty: ObjectKey[] = [];
  for (let i = 0; i < o.records; i++) {
    let keys = empty;
    if (i % every === 0) {
      const s = Math.floor(rand() * (pool.length - per));
      keys = pool.slice(s, s + per);
    }
    const t = i * 0.0001;
    switch (i % 4) {
      case 0:
        yield at(SM_METHODS.finishWrite, t, { keys });
        break;
      case 1:
        yield at(SM_METHODS.readPrefetchedEnter, t, { keys });
        break;
      case 2:
        yield at(SM_METHODS.readPrefetchedExit, t, { keys });
        break;
      default:
        yield at(SM_METHODS.finishReadPrefetched, t, { keys, extra_count: 0 });
    }
  }
}
