import { encodeConstStr } from '../format/msgpack-writer.ts';
import { PREFETCH_HANDLE_FIELDS, TAGS } from '../format/spec.ts';
import { PrefetchHandle } from '../model.ts';
import { field, isInt, isIntArray, isNum, isStr, payloadMap, writeIntArray, type Codec } from './codec.ts';

type Field = (typeof PREFETCH_HANDLE_FIELDS)[number];
const K = Object.fromEntries(PREFETCH_HANDLE_FIELDS.map((k) => [k, encodeConstStr(k)])) as Record<Field, Uint8Array>;
const tag = TAGS.prefetchHandle;

/**
 * LMCache's msgspec encoder writes the payload map in PREFETCH_HANDLE_FIELDS order, with
 * `l1_prefix_hit_count` third; the field writers below follow that list, so the bytes match.
 */
const WRITE: Record<Field, (w: Parameters<Codec<PrefetchHandle>['encodePayload']>[0], h: PrefetchHandle) => void> = {
  prefetch_request_id: (w, h) => w.int(h.prefetchRequestId),
  external_request_id: (w, h) => w.str(h.externalRequestId),
  l1_prefix_hit_count: (w, h) => w.int(h.l1PrefixHitCount),
  l1_found_indices: (w, h) => writeIntArray(w, h.l1FoundIndices),
  total_requested_keys: (w, h) => w.int(h.totalRequestedKeys),
  submit_time: (w, h) => w.float64(h.submitTime),
  l2_orig_indices: (w, h) => writeIntArray(w, h.l2OrigIndices),
};

export const prefetchHandleCodec: Codec<PrefetchHandle> = {
  tag,
  type: PrefetchHandle,
  encodePayload(w, h) {
    w.mapHeader(PREFETCH_HANDLE_FIELDS.length);
    for (const k of PREFETCH_HANDLE_FIELDS) {
      w.raw(K[k]);
      WRITE[k](w, h);
    }
  },
  decodePayload(payload) {
    const m = payloadMap(payload, tag);
    const l1 = field(m, 'l1_found_indices', tag, isIntArray);
    return new PrefetchHandle(
      field(m, 'prefetch_request_id', tag, isInt),
      field(m, 'external_request_id', tag, isStr),
      l1,
      field(m, 'total_requested_keys', tag, isInt),
      field(m, 'submit_time', tag, isNum),
      field(m, 'l2_orig_indices', tag, isIntArray),
      // Shown as the file holds it; a file without it gets LMCache's derivation.
      field(m, 'l1_prefix_hit_count', tag, isInt, l1.length),
    );
  },
};
