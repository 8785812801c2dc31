/**
 * The HTTP API's wire forms, shared by the routes and the clients (workload, bench, replay --url):
 * keys and layouts as JSON, and the framed binary body that carries JSON metadata plus KV bytes.
 * No Fastify here: clients import it too.
 */
import { fromHex, MemoryLayoutDesc, ObjectKey, PrefetchHandle, toHex } from '@kvtrace/trace';
import type { ByteChunks } from './byte-chunks.ts';

export interface KeyJson {
  chunk_hash: string;
  model_name: string;
  kv_rank?: number;
  object_group_id?: number;
  cache_salt?: string;
}

export interface LayoutJson {
  shapes: number[][];
  dtypes: string[];
}

export interface HandleJson {
  prefetch_request_id: number;
  external_request_id: string;
  l1_found_indices: number[];
  total_requested_keys: number;
  submit_time: number;
  l2_orig_indices: number[];
  l1_prefix_hit_count: number;
}

/** Routes validate chunk_hash as hex first; Buffer's decoder is much faster than fromHex on the hot path. */
export const keyFromJson = (k: KeyJson): ObjectKey =>
  new ObjectKey(typeof Buffer !== 'undefined' ? Buffer.from(k.chunk_hash, 'hex') : fromHex(k.chunk_hash), k.model_name, k.kv_rank ?? 0, k.object_group_id ?? 0, k.cache_salt ?? '');

export const keyToJson = (k: ObjectKey): KeyJson => ({
  chunk_hash: k.hashHex,
  model_name: k.modelName,
  kv_rank: k.kvRank,
  object_group_id: k.objectGroupId,
  cache_salt: k.cacheSalt,
});

export const layoutFromJson = (l: LayoutJson): MemoryLayoutDesc => new MemoryLayoutDesc(l.shapes, l.dtypes);
export const layoutToJson = (l: MemoryLayoutDesc): LayoutJson => ({ shapes: l.shapes.map((s) => [...s]), dtypes: [...l.dtypes] });

export const handleToJson = (h: PrefetchHandle): HandleJson => ({
  prefetch_request_id: h.prefetchRequestId,
  external_request_id: h.externalRequestId,
  l1_found_indices: [...h.l1FoundIndices],
  total_requested_keys: h.totalRequestedKeys,
  submit_time: h.submitTime,
  l2_orig_indices: [...h.l2OrigIndices],
  l1_prefix_hit_count: h.l1PrefixHitCount,
});

export { toHex };

export const OCTET = 'application/octet-stream';
/** The metadata of a framed body is small; a larger claim is a malformed body, not an allocation. */
export const MAX_FRAMED_META_BYTES = 4 << 20;

/** The framed form's head: u32 big-endian length of the UTF-8 JSON metadata, then the JSON. */
export function framedHead(meta: unknown): Uint8Array<ArrayBuffer> {
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const out = new Uint8Array(4 + json.length);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  return out;
}

/**
 * A framed body: u32 big-endian length of a UTF-8 JSON metadata object, the JSON, then the payload
 * (the objects' bytes back to back, in key order), the same prefix convention as the `.lct` format.
 */
export function encodeFramed(meta: unknown, payload: readonly Uint8Array[] = []): Uint8Array<ArrayBuffer> {
  const head = framedHead(meta);
  const out = new Uint8Array(head.length + payload.reduce((n, p) => n + p.length, 0));
  out.set(head, 0);
  let o = head.length;
  for (const p of payload) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export class FramedBodyError extends Error {}

/** The metadata of a framed body of `total` bytes, and where its payload starts. */
function readMeta(total: number, bytes: (start: number, n: number) => Uint8Array): { meta: unknown; payloadStart: number } {
  if (total < 4) throw new FramedBodyError(`framed body is ${total} bytes, shorter than its 4-byte length prefix`);
  const prefix = bytes(0, 4);
  const len = new DataView(prefix.buffer, prefix.byteOffset, 4).getUint32(0);
  if (len > MAX_FRAMED_META_BYTES || 4 + len > total) throw new FramedBodyError(`framed body metadata claims ${len} bytes, ${total - 4} available (limit ${MAX_FRAMED_META_BYTES})`);
  let meta: unknown;
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes(4, len)));
  } catch (e) {
    throw new FramedBodyError(`framed body metadata is not UTF-8 JSON: ${(e as Error).message}`);
  }
  return { meta, payloadStart: 4 + len };
}

export function decodeFramed(body: Uint8Array): { meta: unknown; payload: Uint8Array } {
  const { meta, payloadStart } = readMeta(body.length, (s, n) => body.subarray(s, s + n));
  return { meta, payload: body.subarray(payloadStart) };
}

/** decodeFramed over a body still in its received chunks: the payload stays where it is. */
export function decodeFramedChunks(body: ByteChunks): { meta: unknown; payloadStart: number } {
  return readMeta(body.length, (s, n) => body.copy(s, n, true));
}

/**
 * The payload's objects, each copied once into a buffer of its own (the caller may keep them);
 * the sizes must add up to the payload exactly.
 */
export function splitPayload(body: ByteChunks, payloadStart: number, sizes: readonly number[]): Uint8Array[] {
  const total = sizes.reduce((a, b) => a + b, 0);
  const available = body.length - payloadStart;
  if (total !== available) throw new FramedBodyError(`payload is ${available} bytes, the keys' objects add up to ${total}`);
  const out: Uint8Array[] = [];
  let o = payloadStart;
  for (const s of sizes) {
    out.push(body.copy(o, s));
    o += s;
  }
  return out;
}
