import { type MemoryLayoutDesc, type ObjectKey } from '@kvtrace/trace';
import { JsonHttpClient } from './http-client.ts';
import type { PrefetchCall, ReadToken, ReplayTarget, TargetStats, WriteMode } from './target.ts';

const keyJson = (k: ObjectKey) => ({ chunk_hash: k.hashHex, model_name: k.modelName, kv_rank: k.kvRank, object_group_id: k.objectGroupId, cache_salt: k.cacheSalt });
const keysJson = (ks: readonly ObjectKey[]) => ks.map(keyJson);
const layoutJson = (l: MemoryLayoutDesc) => ({ shapes: l.shapes.map((s) => [...s]), dtypes: [...l.dtypes] });

/** Counters taken from GET /v1/stats; reported as the difference over the replay (the server may have served others before). */
const COUNTERS = ['l1_hits', 'l1_misses', 'l2_hits', 'l2_misses', 'evictions', 'bytes_written', 'bytes_read'] as const;
/** One framed write_data body carries at most this many bytes (the server's body limit is larger). */
const MAX_WRITE_BODY = 64 * 2 ** 20;

/**
 * A running kvtrace server, through its HTTP control API (apps/server/src/routes/README.md). The
 * API differs from the in-process manager in two ways that shape a replay:
 * - a read scope is one request (`/v1/read_prefetched_results` enters and exits), so it is sent at
 *   the enter; the exit is counted but has no latency of its own;
 * - `/v1/submit_prefetch_task` is sent with `wait: true` (there is no separate wait), so its latency
 *   includes the L2 loads it started, and the read that follows finds what they loaded.
 */
export class HttpTarget implements ReplayTarget {
  readonly configJson = null;
  readonly scopeInOneCall = true;
  readonly description: string;
  private readonly zeros = new Map<number, Uint8Array>();

  private constructor(
    private readonly http: JsonHttpClient,
    private readonly before: Record<string, number>,
    private readonly maxObjectBytes: number,
  ) {
    this.description = `kvtrace server at ${http.base.href.replace(/\/$/, '')}`;
  }

  /** Checks the server answers (GET /v1/stats) and remembers its counters. */
  static async connect(url: string, maxObjectBytes: number): Promise<HttpTarget> {
    const http = new JsonHttpClient(new URL(url.replace(/\/+$/, '').replace(/\/v1$/, '') + '/v1/'));
    let stats: Record<string, number>;
    try {
      stats = (await http.request('GET', 'stats')) as Record<string, number>;
    } catch (e) {
      http.close();
      throw new Error(`cannot reach the server at ${url}: ${(e as Error).message}`, { cause: e });
    }
    return new HttpTarget(http, stats, maxObjectBytes);
  }

  async reserveWrite(keys: readonly ObjectKey[], layout: MemoryLayoutDesc, mode: WriteMode): Promise<readonly string[]> {
    const r = (await this.post('reserve_write', { keys: keysJson(keys), layout: layoutJson(layout), mode })) as { outcomes: string[] };
    return r.outcomes;
  }

  async writeData(keys: readonly ObjectKey[], outcomes: readonly string[], layout: MemoryLayoutDesc): Promise<number> {
    const size = layout.byteSize;
    if (size > this.maxObjectBytes || size === 0) return 0;
    const reserved = keys.filter((_, i) => outcomes[i] === 'reserved');
    const perBody = Math.max(1, Math.floor(MAX_WRITE_BODY / size));
    let bytes = 0;
    for (let i = 0; i < reserved.length; i += perBody) {
      const part = reserved.slice(i, i + perBody);
      const meta = new TextEncoder().encode(JSON.stringify({ keys: keysJson(part) }));
      const body = this.zeroBody(4 + meta.length + part.length * size);
      new DataView(body.buffer, body.byteOffset).setUint32(0, meta.length);
      body.set(meta, 4);
      body.fill(0, 4 + meta.length);
      await this.http.request('POST', 'write_data', body);
      bytes += part.length * size;
    }
    return bytes;
  }

  finishWrite(keys: readonly ObjectKey[]): Promise<unknown> {
    return this.post('finish_write', { keys: keysJson(keys) });
  }

  submitPrefetchTask(c: PrefetchCall): Promise<unknown> {
    return this.post('submit_prefetch_task', {
      keys: keysJson(c.keys),
      layout: layoutJson(c.layoutDesc),
      extra_count: c.extraCount,
      external_request_id: c.externalRequestId,
      policy: c.policy.name,
      attn_desc: [...c.attnDesc.windows],
      skip_l2: c.skipL2,
      mode: c.mode.name,
      wait: true,
    });
  }

  prepareRead(): void {}

  async readEnter(keys: readonly ObjectKey[]): Promise<ReadToken> {
    const r = (await this.post('read_prefetched_results', { keys: keysJson(keys) })) as { found: boolean[] };
    return { found: r.found.filter(Boolean).length, requested: keys.length };
  }

  readExit(): void {}

  async finishReadPrefetched(keys: readonly ObjectKey[], extraCount: number): Promise<void> {
    await this.post('finish_read_prefetched', { keys: keysJson(keys), extra_count: extraCount });
  }

  async finish(): Promise<TargetStats> {
    const now = (await this.http.request('GET', 'stats')) as Record<string, number>;
    const out: TargetStats = { l1_hits: 0, l1_misses: 0, l2_hits: 0, l2_misses: 0, evictions: 0, bytes_written: 0, bytes_read: 0 };
    for (const k of COUNTERS) out[k] = (now[k] ?? 0) - (this.before[k] ?? 0);
    return out;
  }

  async close(): Promise<void> {
    this.http.close();
  }

  private post(route: string, body: unknown): Promise<unknown> {
    return this.http.request('POST', route, body);
  }

  /** One reusable buffer per body size: the payload is zeros, only the metadata changes. */
  private zeroBody(n: number): Uint8Array {
    let b = this.zeros.get(n);
    if (!b) {
      b = new Uint8Array(n);
      this.zeros.set(n, b);
    }
    return b;
  }
}
