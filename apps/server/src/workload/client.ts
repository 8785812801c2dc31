import { Agent, request } from 'node:http';
import type { MemoryLayoutDesc, ObjectKey } from '@kvtrace/trace';
import { decodeFramed, encodeFramed, keyToJson, layoutToJson, OCTET } from '../protocol/wire.ts';
import type { ReserveOutcome } from '../storage/api.ts';

export interface StoreResult {
  outcomes: ReserveOutcome[];
  stored: number;
}

export interface RetrieveResult {
  found: boolean[];
  hit_count: number;
  l1_hits: number;
  l2_hits: number;
  sizes: number[];
  /** The found objects' bytes, in key order. */
  data: Uint8Array[];
}

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

/**
 * A client of the server's routes over node:http with a keep-alive agent: one write per request
 * with a Content-Length (fetch's streamed bodies cost milliseconds per request on loopback).
 */
export class KvClient {
  readonly url: URL;
  private readonly agent: Agent;

  constructor(url: string, maxSockets = 64) {
    this.url = new URL(url);
    this.agent = new Agent({ keepAlive: true, maxSockets, noDelay: true } as ConstructorParameters<typeof Agent>[0]);
  }

  async store(keys: readonly ObjectKey[], layout: MemoryLayoutDesc, data: readonly Uint8Array[], mode: 'new' | 'update' | 'all' = 'new'): Promise<StoreResult> {
    const body = encodeFramed({ keys: keys.map(keyToJson), layout: layoutToJson(layout), mode }, data);
    const res = await this.send('POST', '/v1/store', body, { 'content-type': OCTET });
    return JSON.parse(res.toString('utf8')) as StoreResult;
  }

  async retrieve(keys: readonly ObjectKey[], layout: MemoryLayoutDesc, externalRequestId = ''): Promise<RetrieveResult> {
    const body = Buffer.from(JSON.stringify({ keys: keys.map(keyToJson), layout: layoutToJson(layout), external_request_id: externalRequestId }));
    const res = await this.send('POST', '/v1/retrieve', body, { 'content-type': 'application/json', accept: OCTET });
    const { meta, payload } = decodeFramed(res);
    const m = meta as Omit<RetrieveResult, 'data'>;
    const data: Uint8Array[] = [];
    let o = 0;
    for (const s of m.sizes) {
      if (s === 0) continue;
      data.push(payload.subarray(o, o + s));
      o += s;
    }
    return { ...m, data };
  }

  async stats(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.send('GET', '/v1/stats')).toString('utf8')) as Record<string, unknown>;
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request; resolves with the body of a 2xx response, rejects with HttpStatusError otherwise. */
  send(method: string, path: string, body?: Uint8Array, headers: Record<string, string> = {}): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path,
          method,
          agent: this.agent,
          headers: body ? { ...headers, 'content-length': String(body.length) } : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(buf);
            else reject(new HttpStatusError(status, buf.toString('utf8')));
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
}
