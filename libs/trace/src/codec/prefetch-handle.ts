import { encodeConstStr } from '../format/msgpack-writer.ts';
import { TAGS } from '../format/spec.ts';
import { PrefetchHandle } from '../model.ts';
import { field, isInt, isIntArray, isNum, isStr, payloadMap, writeIntArray, type Codec } from './codec.ts';

const K = Object.fromEntries(
  [
    'prefetch_request_id',
    'external_request_id',
    'l1_found_indices',
    'total_requested_keys',
    'submit_time',
    'l2_orig_indices',
    'l1_prefix_hit_count',
  ].map((k) => [k, encodeConstStr(k)]),
) as Record<string, Uint8Array>;
const tag = TAGS.prefetchHandle;

export const prefetchHandleCodec: Codec<PrefetchHandle> = {
  tag,
  type: PrefetchHandle,
  encodePayload(w, h) {
    w.u8(0x87);
    w.raw(K.prefetch_request_id!);
    w.int(h.prefetchRequestId);
    w.raw(K.external_request_id!);
    w.str(h.externalRequestId);
    w.raw(K.l1_found_indices!);
    writeIntArray(w, h.l1FoundIndices);
    w.raw(K.total_requested_keys!);
    w.int(h.totalRequestedKeys);
    w.raw(K.submit_time!);
    w.float64(h.submitTime);
    w.raw(K.l2_orig_indices!);
    writeIntArray(w, h.l2OrigIndices);
    // Derived, written for readers that do not recompute it.
    w.raw(K.l1_prefix_hit_count!);
    w.int(h.l1PrefixHitCount);
  },
  decodePayload(payload) {
    const m = payloadMap(payload, tag);
    return new PrefetchHandle(
      field(m, 'prefetch_request_id', tag, isInt),
      field(m, 'external_request_id', tag, isStr),
      field(m, 'l1_found_indices', tag, isIntArray),
      field(m, 'total_requested_keys', tag, isInt),
      field(m, 'submit_time', tag, isNum),
      field(m, 'l2_orig_indices', tag, isIntArray),
    );
  },
};
