import { createHash } from 'node:crypto';
import { MemoryLayoutDesc, ObjectKey, seededRandom } from '@kvtrace/trace';

/** Deterministic pseudo-random numbers: the same seed gives the same traffic. */
export const rng = seededRandom;

export interface PlanOptions {
  requests: number;
  seed?: number;
  /** Distinct shared prefixes (documents, system prompts) that requests start with. */
  documents?: number;
  /** Zipf exponent of document popularity. */
  zipf?: number;
  /** Share of requests that are a later turn of an earlier conversation (its whole prompt is the prefix). */
  followUps?: number;
  minChunks?: number;
  maxChunks?: number;
  model?: string;
  /** kv_rank of the keys: world 1, rank 0 (`world<<24 | global<<16 | local_world<<8 | local`). */
  kvRank?: number;
}

export interface PlannedRequest {
  index: number;
  document: number;
  /** Chunk keys of the prompt, in order: a shared prefix, then chunks unique to this request. */
  keys: ObjectKey[];
  sharedChunks: number;
}

/**
 * A toy KV layout per chunk: [K/V, layers, tokens, heads, head_dim] in bfloat16, 64 KiB, so a
 * demo moves real bytes without needing gigabytes (LMCache's real chunks are tens of MB).
 */
export const DEFAULT_LAYOUT = new MemoryLayoutDesc([[2, 4, 16, 4, 64]], ['torch.bfloat16']);
/** A layout of `kib` KiB per chunk (multiples of 16 KiB keep the KV shape; others are one flat tensor). */
export function layoutOfKib(kib: number): MemoryLayoutDesc {
  if (!Number.isInteger(kib) || kib < 1) throw new Error(`chunk size must be a positive whole number of KiB, got ${kib}`);
  return kib % 16 === 0 ? new MemoryLayoutDesc([[2, 4, 16, kib / 16, 64]], ['torch.bfloat16']) : new MemoryLayoutDesc([[kib * 512]], ['torch.bfloat16']);
}

export const DEFAULT_MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';

/**
 * How many earlier prompts a follow-up turn may continue: plans are generated lazily and keep only
 * this window, so a 100,000-request plan costs neither a long synchronous build nor the memory of
 * every prompt's keys. Plans of up to this many requests are the same as with an unbounded window.
 */
export const FOLLOW_UP_WINDOW = 4096;

/**
 * Simulated inference traffic: each request picks a document by Zipf popularity, reuses that
 * document's chunk chain as its prefix (LMCache hashes chunks as a chain, so a shared prefix means
 * shared keys), and adds chunks of its own; 4 to 64 chunks in all. A share of requests are later
 * turns of an earlier conversation: the earlier prompt is their prefix, which by then may have been
 * evicted from L1 (so they exercise L2). Requests are made one at a time, as they are asked for.
 */
export function* planStream(o: PlanOptions): Generator<PlannedRequest> {
  const rand = rng(o.seed ?? 1);
  const docs = o.documents ?? 64;
  const minC = o.minChunks ?? 4;
  const maxC = o.maxChunks ?? 64;
  const s = o.zipf ?? 1.1;
  const model = o.model ?? DEFAULT_MODEL;
  const kvRank = o.kvRank ?? 0x01000100;
  const weights = Array.from({ length: docs }, (_, i) => 1 / Math.pow(i + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  const docLen = Array.from({ length: docs }, () => minC + Math.floor(rand() * (Math.min(48, maxC) - minC + 1)));
  const docChains = new Map<number, ObjectKey[]>();
  const chain = (tag: string, n: number, from: Uint8Array = new Uint8Array(0)): ObjectKey[] => {
    const out: ObjectKey[] = [];
    let prev = from;
    for (let j = 0; j < n; j++) {
      const h = createHash('sha256').update(prev).update(`${tag}:${j}`).digest();
      prev = new Uint8Array(h.buffer, h.byteOffset, h.length);
      out.push(new ObjectKey(prev, model, kvRank));
    }
    return out;
  };
  // The last FOLLOW_UP_WINDOW requests, as a ring: recent[(made - k) % W] is the k-th most recent.
  const recent: PlannedRequest[] = [];
  let made = 0;
  const followUps = o.followUps ?? 0.3;
  const remember = (req: PlannedRequest): PlannedRequest => {
    recent[made % FOLLOW_UP_WINDOW] = req;
    made++;
    return req;
  };
  for (let r = 0; r < o.requests; r++) {
    if (made > 0 && rand() < followUps) {
      const held = Math.min(made, FOLLOW_UP_WINDOW);
      const pick = Math.floor(rand() * held);
      // Index `pick` among the held requests, oldest first (the unbounded plan's indexing).
      const prev = recent[(made - held + pick) % FOLLOW_UP_WINDOW]!;
      const own = Math.min(maxC - prev.keys.length, 2 + Math.floor(rand() * 7));
      if (own > 0) {
        const keys = [...prev.keys, ...chain(`turn-${o.seed ?? 1}-${r}`, own, prev.keys[prev.keys.length - 1]?.chunkHash)];
        yield remember({ index: r, document: prev.document, keys, sharedChunks: prev.keys.length });
        continue;
      }
    }
    const u = rand();
    let d = cdf.findIndex((c) => u <= c);
    if (d < 0) d = docs - 1;
    let prefix = docChains.get(d);
    if (!prefix) docChains.set(d, (prefix = chain(`doc-${o.seed ?? 1}-${d}`, docLen[d]!)));
    const own = Math.max(0, Math.min(maxC - prefix.length, 4 + Math.floor(rand() * 21)));
    const keys = [...prefix, ...chain(`req-${o.seed ?? 1}-${r}`, own, prefix[prefix.length - 1]?.chunkHash)];
    while (keys.length < minC) keys.push(...chain(`pad-${r}`, minC - keys.length));
    yield remember({ index: r, document: d, keys, sharedChunks: prefix.length });
  }
}

/** The whole plan at once (small plans: tests, inspection). */
export function planRequests(o: PlanOptions): PlannedRequest[] {
  return [...planStream(o)];
}
