import { describe, expect, it } from 'vitest';
import { MsgpackWriter } from '../format/msgpack-writer.ts';
import { PREFETCH_HANDLE_FIELDS } from '../format/spec.ts';
import { PrefetchHandle } from '../model.ts';
import { createDefaultRegistry } from './registry.ts';

/**
 * Golden bytes from msgspec 0.22 (LMCache's encoder), made with:
 *   python3 -c "import msgspec; print(msgspec.msgpack.encode({'__t__': 'PrefetchHandle', 'v': {
 *     'prefetch_request_id': 7, 'external_request_id': 'req-1', 'l1_prefix_hit_count': 3,
 *     'l1_found_indices': [0, 1, 3], 'total_requested_keys': 5, 'submit_time': 1700000000.25,
 *     'l2_orig_indices': [2]}}).hex())"
 * and the same with (-1, '', 0, [], 0, 0.0, []). Found indices (0, 1, 3) are not contiguous:
 * LMCache writes 3 (their number), not the leading run of 2.
 */
const GOLDEN_SPARSE =
  '82a55f5f745f5fae507265666574636848616e646c65a17687b370726566657463685f726571756573745f696407b365787465726e616c5f726571756573745f6964a57265712d31' +
  'b36c315f7072656669785f6869745f636f756e7403b06c315f666f756e645f696e646963657393000103b4746f74616c5f7265717565737465645f6b65797305ab7375626d69745f74696d65' +
  'cb41d954fc40100000af6c325f6f7269675f696e64696365739102';
const GOLDEN_EMPTY =
  '82a55f5f745f5fae507265666574636848616e646c65a17687b370726566657463685f726571756573745f6964ffb365787465726e616c5f726571756573745f6964a0' +
  'b36c315f7072656669785f6869745f636f756e7400b06c315f666f756e645f696e646963657390b4746f74616c5f7265717565737465645f6b65797300ab7375626d69745f74696d65' +
  'cb0000000000000000af6c325f6f7269675f696e646963657390';

const reg = createDefaultRegistry();
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function encodeValue(v: unknown): Uint8Array {
  const w = new MsgpackWriter(64);
  reg.encode(w, v);
  return w.bytes().slice();
}

/** Decodes one tagged value by wrapping it as the only argument of an args map. */
function decodeValue(valueBytes: Uint8Array): unknown {
  const args = new Uint8Array([0x81, 0xa1, 0x78, ...valueBytes]); // {"x": value}
  return reg.decodeArgs(args, 0, args.length).args.x;
}

describe('PrefetchHandle codec, byte for byte as LMCache', () => {
  it('encodes non-contiguous found indices with l1_prefix_hit_count = their number, keys in LMCache order', () => {
    const h = new PrefetchHandle(7, 'req-1', [0, 1, 3], 5, 1700000000.25, [2]);
    expect(h.l1PrefixHitCount).toBe(3);
    expect(hex(encodeValue(h))).toBe(GOLDEN_SPARSE);
  });

  it('encodes an empty handle (no L2 request, float 0.0 as float64)', () => {
    expect(hex(encodeValue(new PrefetchHandle(-1, '', [], 0, 0, [])))).toBe(GOLDEN_EMPTY);
  });

  it('decodes the golden bytes to the file values and re-encodes them identically', () => {
    const h = decodeValue(Buffer.from(GOLDEN_SPARSE, 'hex')) as PrefetchHandle;
    expect(h).toBeInstanceOf(PrefetchHandle);
    expect(h).toMatchObject({ prefetchRequestId: 7, externalRequestId: 'req-1', l1FoundIndices: [0, 1, 3], totalRequestedKeys: 5, submitTime: 1700000000.25, l2OrigIndices: [2], l1PrefixHitCount: 3 });
    expect(hex(encodeValue(h))).toBe(GOLDEN_SPARSE);
  });

  it('shows the count the file holds, even when it disagrees with the indices, and keeps it on re-encode', () => {
    const w = new MsgpackWriter(64);
    w.mapHeader(2);
    w.str('__t__');
    w.str('PrefetchHandle');
    w.str('v');
    const fileValues: Record<string, unknown> = {
      prefetch_request_id: 1, external_request_id: 'r', l1_prefix_hit_count: 9, l1_found_indices: [0, 2],
      total_requested_keys: 4, submit_time: 2.5, l2_orig_indices: [],
    };
    w.mapHeader(PREFETCH_HANDLE_FIELDS.length);
    for (const k of PREFETCH_HANDLE_FIELDS) {
      w.str(k);
      reg.encode(w, fileValues[k]);
    }
    const bytes = w.bytes().slice();
    const h = decodeValue(bytes) as PrefetchHandle;
    expect(h.l1PrefixHitCount).toBe(9);
    expect(hex(encodeValue(h))).toBe(hex(bytes));
  });

  it('a payload without l1_prefix_hit_count gets LMCache\'s derivation: the number of found indices', () => {
    const w = new MsgpackWriter(64);
    w.mapHeader(2);
    w.str('__t__');
    w.str('PrefetchHandle');
    w.str('v');
    reg.encode(w, { prefetch_request_id: -1, external_request_id: '', l1_found_indices: [1, 4], total_requested_keys: 6, submit_time: 0.5, l2_orig_indices: [] });
    expect((decodeValue(w.bytes().slice()) as PrefetchHandle).l1PrefixHitCount).toBe(2);
  });
});
