import { nearestRank, type MemoryLayoutDesc, type ObjectKey } from '@kvtrace/trace';
import { KvClient } from './client.ts';
import { DEFAULT_LAYOUT, planStream, type PlanOptions } from './plan.ts';

export interface WorkloadOptions extends Omit<PlanOptions, 'requests'> {
  url: string;
  requests: number;
  concurrency: number;
  layout?: MemoryLayoutDesc;
  /** Compare every retrieved object with what was stored (costs a compare per object). */
  verify?: boolean;
  /** Stops sending new requests when aborted. */
  signal?: AbortSignal;
  /** Called after each completed request with the number completed so far (tests wait on it). */
  onRequestDone?: (completed: number) => void;
}

export interface WorkloadResult {
  requests: number;
  stores: number;
  retrieves: number;
  /** Chunks asked for by retrieves, and how many came back (L1 and L2). */
  chunksRequested: number;
  chunksHit: number;
  l1Hits: number;
  l2Hits: number;
  chunksStored: number;
  /**
   * Stores the server refused whole (no key reserved: each `exists`, `locked` or `no_space`), and
   * their keys: those reservations are never finished, so a trace cannot tell them from a write
   * lock still held, and `kvtrace analyze` counts their keys as undecided, never as leaked.
   */
  storesRefusedWhole: number;
  keysRefusedWhole: number;
  errors: number;
  corrupt: number;
  firstError: string | null;
  durationS: number;
  reqPerS: number;
  p50Ms: number;
  p99Ms: number;
  /** Server stats after the run (evictions, L2 objects, tracing counters). */
  server: Record<string, unknown> | null;
}

/** The bytes of a chunk: its hash repeated, so any byte that comes back wrong is detectable. */
export function chunkBytes(key: ObjectKey, size: number): Uint8Array {
  const b = Buffer.allocUnsafe(size);
  b.fill(key.chunkHash.length > 0 ? Buffer.from(key.chunkHash) : Buffer.from([0]));
  return b;
}

/** The external_request_id the workload gives request `index`, so a trace names its requests. */
export const externalRequestId = (seed: number, index: number): string => `req-${seed}-${index}`;

/**
 * Runs simulated inference traffic against a server: per request, a retrieve of the whole prompt
 * (prefix lookup: L1 hits, L2 loads; submit_prefetch_task, read of the found keys,
 * finish_read_prefetched, all with the request's external_request_id) and then a store of the
 * chunks after the hit prefix (the prefill's new KV: reserve_write, finish_write of the reserved
 * keys). `concurrency` requests are in flight at once; the plan is made one request at a time, as
 * workers ask for the next, so no long synchronous build blocks the event loop.
 */
export async function runWorkload(o: WorkloadOptions): Promise<WorkloadResult> {
  const layout = o.layout ?? DEFAULT_LAYOUT;
  const size = layout.byteSize;
  const plan = planStream(o);
  const seed = o.seed ?? 1;
  const client = new KvClient(o.url);
  const r: WorkloadResult = {
    requests: 0, stores: 0, retrieves: 0, chunksRequested: 0, chunksHit: 0, l1Hits: 0, l2Hits: 0, chunksStored: 0, storesRefusedWhole: 0, keysRefusedWhole: 0,
    errors: 0, corrupt: 0, firstError: null, durationS: 0, reqPerS: 0, p50Ms: 0, p99Ms: 0, server: null,
  };
  const latencies: number[] = [];
  const t0 = performance.now();
  const worker = async () => {
    for (;;) {
      if (o.signal?.aborted) return;
      const step = plan.next();
      if (step.done) return;
      const req = step.value;
      const start = performance.now();
      try {
        const got = await client.retrieve(req.keys, layout, externalRequestId(seed, req.index));
        r.retrieves++;
        r.chunksRequested += req.keys.length;
        r.chunksHit += got.data.length;
        r.l1Hits += got.l1_hits;
        r.l2Hits += got.l2_hits;
        if (o.verify) {
          let j = 0;
          got.found.forEach((f, i) => {
            if (!f) return;
            if (Buffer.compare(got.data[j++]!, chunkBytes(req.keys[i]!, size)) !== 0) r.corrupt++;
          });
        }
        const rest = req.keys.slice(got.hit_count);
        if (rest.length > 0) {
          const s = await client.store(rest, layout, rest.map((k) => chunkBytes(k, size)));
          r.stores++;
          r.chunksStored += s.stored;
          if (s.outcomes.every((x) => x !== 'reserved')) {
            r.storesRefusedWhole++;
            r.keysRefusedWhole += rest.length;
          }
        }
        r.requests++;
        latencies.push(performance.now() - start);
        o.onRequestDone?.(r.requests);
      } catch (e) {
        r.errors++;
        r.firstError ??= (e as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, worker));
  r.durationS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  r.reqPerS = r.requests / (r.durationS || 1e-9);
  // libs/trace's nearest rank, as every other latency figure; no request done: no latency (NaN, shown '-').
  r.p50Ms = nearestRank(latencies, 50);
  r.p99Ms = nearestRank(latencies, 99);
  try {
    r.server = await client.stats();
  } catch {
    r.server = null;
  }
  client.close();
  return r;
}

/** Rows for a summary table (label, value). */
export function summaryRows(r: WorkloadResult): [string, string][] {
  const s = r.server ?? {};
  const num = (k: string) => (typeof s[k] === 'number' ? String(s[k]) : '-');
  const t = (s.tracing ?? null) as Record<string, unknown> | null;
  return [
    ['requests', String(r.requests)],
    ['stores', `${r.stores} (${r.chunksStored} chunks)`],
    ['stores refused whole', `${r.storesRefusedWhole} (${r.keysRefusedWhole} keys: exists, locked or no space)`],
    ['retrieves', String(r.retrieves)],
    ['hits', `${r.chunksHit}/${r.chunksRequested} chunks (${r.l1Hits} L1, ${r.l2Hits} L2)`],
    ['errors', r.errors ? `${r.errors} (${r.firstError ?? ''})` : '0'],
    ...(r.corrupt ? ([['corrupt', String(r.corrupt)]] as [string, string][]) : []),
    ['req/s', r.reqPerS.toFixed(1)],
    ['p50', Number.isFinite(r.p50Ms) ? `${r.p50Ms.toFixed(2)} ms` : '-'],
    ['p99', Number.isFinite(r.p99Ms) ? `${r.p99Ms.toFixed(2)} ms` : '-'],
    ['server evictions', num('evictions')],
    ['server L2 objects', num('l2_objects')],
    ...(t ? ([['trace records', traceRecordsText(t)]] as [string, string][]) : []),
  ];
}

/** `1668 written, 0 dropped`, with each reason for drops and the recording's state when not plain. */
function traceRecordsText(t: Record<string, unknown>): string {
  const n = (k: string) => (typeof t[k] === 'number' ? (t[k] as number) : 0);
  const reasons = [
    [n('dropped'), 'queue full'],
    [n('refused'), 'refused: LMCache could not decode them'],
    [n('write_failures'), 'write failed'],
  ].filter(([c]) => (c as number) > 0);
  const total = typeof t.dropped_total === 'number' ? t.dropped_total : n('dropped') + n('recorder_dropped');
  const why = reasons.length ? ` (${reasons.map(([c, w]) => `${String(c)} ${String(w)}`).join(', ')})` : '';
  const state = typeof t.problem === 'string' && t.problem ? `; ${String(t.state)}: ${t.problem}` : '';
  return `${String(t.records_written)} written, ${String(total)} dropped${why}${state}`;
}
