import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AttnWindowDesc, PrefetchMode, TrimPolicy, useScope, type MemoryLayoutDesc, type ObjectKey, type PrefetchModeName, type TrimPolicyName } from '@kvtrace/trace';
import { HttpError } from '../errors.ts';
import { Readable } from 'node:stream';
import { ByteChunks } from '../protocol/byte-chunks.ts';
import { decodeFramedChunks, framedHead, FramedBodyError, handleToJson, keyFromJson, layoutFromJson, OCTET, splitPayload, type KeyJson, type LayoutJson } from '../protocol/wire.ts';
import { tracingStatus } from '../services/tracing-status.ts';
import type { WriteMode } from '../storage/index.ts';
import { checkRequestBody } from './request-rules.ts';
import * as S from './schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The KV bytes of a framed binary body, still in its received chunks (its JSON metadata is request.body). */
    payload: { body: ByteChunks; start: number } | null;
  }
}

const keys = (ks: KeyJson[]): ObjectKey[] => ks.map(keyFromJson);

/**
 * Read routes refuse a key listed twice: reading needs only a read lock on the key, so repeating
 * one object N times would make the answer N objects long from a tiny request (amplification).
 */
function uniqueKeys(ks: KeyJson[]): ObjectKey[] {
  const out = keys(ks);
  const seen = new Map<string, number>();
  out.forEach((k, i) => {
    const first = seen.get(k.id);
    if (first !== undefined) throw new HttpError(400, `keys[${i}] repeats keys[${first}]: list each key once per request`);
    seen.set(k.id, i);
  });
  return out;
}

function layout(l: LayoutJson, maxObjectBytes: number): MemoryLayoutDesc {
  if (l.shapes.length !== l.dtypes.length) throw new HttpError(400, `layout has ${l.shapes.length} shapes and ${l.dtypes.length} dtypes: one dtype per tensor`);
  const d = layoutFromJson(l);
  const size = d.byteSize;
  if (!Number.isSafeInteger(size) || size < 0 || size > maxObjectBytes) throw new HttpError(400, `layout describes an object of ${size} bytes: it must be between 0 and the ${maxObjectBytes}-byte limit`);
  return d;
}

/** Client wants bytes: an explicit octet-stream Accept, or none that asks for JSON. */
function wantsBytes(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes(OCTET) || !accept.includes('application/json');
}

/** preValidation for framed binary routes: the metadata becomes the body Fastify validates. */
async function unframe(req: FastifyRequest): Promise<void> {
  if (!(req.body instanceof ByteChunks)) throw new HttpError(415, `this route takes a framed ${OCTET} body`);
  try {
    const { meta, payloadStart } = decodeFramedChunks(req.body);
    req.payload = { body: req.body, start: payloadStart };
    req.body = meta;
  } catch (e) {
    if (e instanceof FramedBodyError) throw new HttpError(400, e.message);
    throw e;
  }
}

const EMPTY = { body: new ByteChunks([]), start: 0 };
const payloadLength = (p: FastifyRequest['payload']): number => (p ? p.body.length - p.start : 0);

/** The objects of a framed body, each in a buffer of its own (handed over to the storage manager). */
function pieces(payload: FastifyRequest['payload'], sizes: number[]): Uint8Array[] {
  const p = payload ?? EMPTY;
  try {
    return splitPayload(p.body, p.start, sizes);
  } catch (e) {
    if (e instanceof FramedBodyError) throw new HttpError(400, e.message);
    throw e;
  }
}

export interface V1Options {
  /** The largest single object a layout may describe (and a body may carry). */
  maxObjectBytes: number;
  /** The largest framed answer (metadata + objects) a read route builds; more is a 413, never an allocation. */
  maxResponseBytes: number;
}

/**
 * The storage manager over HTTP: one route per traced method (control calls, JSON), a data path
 * for KV bytes (framed binary bodies), and `store` / `retrieve`, which run a whole write or read
 * sequence in one request. See README.md in this folder for the bodies.
 */
export async function v1Routes(app: FastifyInstance, opts: V1Options): Promise<void> {
  const sm = app.storage;
  const maxObj = opts.maxObjectBytes;
  const maxResponse = opts.maxResponseBytes;
  app.decorateRequest('payload', null);
  // After each route's schema: the LMCache rules, for every route alike.
  app.addHook('preHandler', async (req) => checkRequestBody(req.body));

  app.post<{ Body: { keys: KeyJson[]; layout: LayoutJson; mode: WriteMode } }>('/reserve_write', { schema: { body: S.reserveWriteBody } }, async (req) => {
    const outcomes = sm.reserveWrite(keys(req.body.keys), layout(req.body.layout, maxObj), req.body.mode);
    return { outcomes, reserved: outcomes.filter((o) => o === 'reserved').length };
  });

  app.post<{ Body: { keys: KeyJson[]; sizes?: number[] } }>(
    '/write_data',
    { schema: { body: S.writeDataMeta }, preValidation: unframe },
    async (req) => {
      const ks = keys(req.body.keys);
      const length = payloadLength(req.payload);
      let sizes = req.body.sizes;
      if (sizes === undefined) {
        if (ks.length === 0 ? length !== 0 : length % ks.length !== 0)
          throw new HttpError(400, `payload of ${length} bytes does not split evenly over ${ks.length} keys (give "sizes")`);
        sizes = ks.map(() => (ks.length ? length / ks.length : 0));
      } else if (sizes.length !== ks.length) throw new HttpError(400, `${sizes.length} sizes for ${ks.length} keys`);
      const parts = pieces(req.payload, sizes);
      // Per key, like reserve_write: one key that was not reserved does not fail the others.
      const errors = ks.map((k, i) => {
        try {
          sm.writeData(k, parts[i]!, true);
          return null;
        } catch (e) {
          if (e instanceof Error && e.name === 'StorageError') return e.message;
          throw e;
        }
      });
      return { written: errors.map((e) => e === null), errors };
    },
  );

  app.post<{ Body: { keys: KeyJson[] } }>('/finish_write', { schema: { body: S.keysBody } }, async (req) => {
    return { finished: sm.finishWrite(keys(req.body.keys)) };
  });

  app.post<{
    Body: {
      keys: KeyJson[];
      layout: LayoutJson;
      extra_count?: number;
      external_request_id?: string;
      policy?: TrimPolicyName;
      attn_desc?: number[];
      skip_l2?: boolean;
      mode?: PrefetchModeName;
      wait?: boolean;
    };
  }>('/submit_prefetch_task', { schema: { body: S.prefetchBody } }, async (req) => {
    const b = req.body;
    const handle = sm.submitPrefetchTask(
      keys(b.keys),
      layout(b.layout, maxObj),
      b.extra_count,
      b.external_request_id,
      b.policy === undefined ? undefined : TrimPolicy[b.policy],
      b.attn_desc === undefined ? undefined : new AttnWindowDesc(b.attn_desc),
      b.skip_l2,
      b.mode === undefined ? undefined : PrefetchMode[b.mode],
    );
    if (b.wait !== false) await sm.waitPrefetch(handle);
    const found = sm.prefetchFound(handle);
    return { handle: handleToJson(handle), found, hit_count: prefixCount(found), done: b.wait !== false };
  });

  app.post<{ Body: { keys: KeyJson[] } }>('/read_prefetched_results', { schema: { body: S.keysBody } }, async (req, reply) => {
    const results = useScope(sm.readPrefetchedResults(uniqueKeys(req.body.keys)), (r) => r);
    const found = results.map((r) => r !== null);
    const meta = { found, sizes: results.map((r) => r?.length ?? 0), released: found.includes(false) };
    if (!wantsBytes(req)) return meta;
    return sendFramed(reply, meta, results.filter((r): r is Uint8Array => r !== null), maxResponse);
  });

  app.post<{ Body: { keys: KeyJson[]; extra_count?: number } }>('/finish_read_prefetched', { schema: { body: S.finishReadBody } }, async (req) => {
    sm.finishReadPrefetched(keys(req.body.keys), req.body.extra_count);
    return { released: req.body.keys.length };
  });

  app.post<{ Body: { keys: KeyJson[]; layout: LayoutJson; mode?: WriteMode } }>(
    '/store',
    { schema: { body: S.storeMeta }, preValidation: unframe },
    async (req) => {
      const ks = keys(req.body.keys);
      const l = layout(req.body.layout, maxObj);
      const parts = pieces(req.payload, ks.map(() => l.byteSize));
      const outcomes = sm.reserveWrite(ks, l, req.body.mode ?? 'new');
      const reserved: ObjectKey[] = [];
      outcomes.forEach((o, i) => {
        if (o !== 'reserved') return;
        sm.writeData(ks[i]!, parts[i]!, true);
        reserved.push(ks[i]!);
      });
      const finished = reserved.length > 0 ? sm.finishWrite(reserved) : [];
      return { outcomes, stored: finished.filter(Boolean).length };
    },
  );

  app.post<{ Body: { keys: KeyJson[]; layout: LayoutJson; policy?: TrimPolicyName; skip_l2?: boolean; external_request_id?: string } }>(
    '/retrieve',
    { schema: { body: S.retrieveBody } },
    async (req, reply) => {
      const b = req.body;
      const ks = uniqueKeys(b.keys);
      const l = layout(b.layout, maxObj);
      const handle = sm.submitPrefetchTask(ks, l, 0, b.external_request_id ?? '', TrimPolicy[b.policy ?? 'PREFIX'], undefined, b.skip_l2 ?? false);
      await sm.waitPrefetch(handle);
      const found = sm.prefetchFound(handle);
      const hitIdx = found.flatMap((f, i) => (f ? [i] : []));
      const sizes = new Array<number>(ks.length).fill(0);
      const data: Uint8Array[] = [];
      if (hitIdx.length > 0) {
        const hitKeys = hitIdx.map((i) => ks[i]!);
        const results = useScope(sm.readPrefetchedResults(hitKeys), (r) => r);
        // All read: release the locks now. A miss (not expected under a read lock) was released by the scope's exit.
        if (results.every((r) => r !== null)) sm.finishReadPrefetched(hitKeys);
        results.forEach((r, j) => {
          const i = hitIdx[j]!;
          if (r === null) found[i] = false;
          else {
            sizes[i] = r.length;
            data.push(r);
          }
        });
      }
      const l1 = handle.l1FoundIndices.filter((i) => found[i]).length;
      const meta = { found, hit_count: prefixCount(found), l1_hits: l1, l2_hits: data.length - l1, sizes };
      if (!wantsBytes(req)) return meta;
      return sendFramed(reply, meta, data, maxResponse);
    },
  );

  app.get('/stats', async () => {
    const m = process.memoryUsage();
    return {
      ...sm.stats(),
      tracing: app.tracing ? tracingStatus(app.tracing) : null,
      process: { rss_bytes: m.rss, heap_used_bytes: m.heapUsed, array_buffers_bytes: m.arrayBuffers },
    };
  });
}

function prefixCount(found: readonly boolean[]): number {
  let n = 0;
  while (n < found.length && found[n]) n++;
  return n;
}

function checkResponseSize(bytes: number, limit: number): void {
  if (bytes > limit) throw new HttpError(413, `the answer would carry ${bytes} bytes of objects, more than the ${limit}-byte response limit (--body-limit-mb): ask for fewer keys per request`);
}

/**
 * A framed answer sent as its head and then each object as it is (never joined into one buffer of
 * the whole answer: that copy was garbage as large as the answer, per request).
 */
function sendFramed(reply: FastifyReply, meta: unknown, data: Uint8Array[], limit: number): FastifyReply {
  const bytes = data.reduce((n, d) => n + d.length, 0);
  checkResponseSize(bytes, limit);
  const head = framedHead(meta);
  const parts = [head, ...data].map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  return reply.type(OCTET).header('content-length', String(head.length + bytes)).send(Readable.from(parts, { objectMode: false }));
}
