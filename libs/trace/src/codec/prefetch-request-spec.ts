import { encodeConstStr } from '../format/msgpack-writer.ts';
import { TAGS } from '../format/spec.ts';
import { AttnWindowDesc, EnumMember, MemoryLayoutDesc, ObjectKey, PrefetchRequestSpec } from '../model.ts';
import { CodecPayloadError, field, isArray, isInt, payloadMap, type Codec } from './codec.ts';

const KEYS = ['keys', 'layout_desc', 'extra_count', 'policy', 'attn_desc', 'mode'].map(encodeConstStr);
const tag = TAGS.prefetchRequestSpec;

function instance<T>(cls: abstract new (...a: never[]) => T) {
  return (v: unknown): v is T => v instanceof cls;
}

export const prefetchRequestSpecCodec: Codec<PrefetchRequestSpec> = {
  tag,
  type: PrefetchRequestSpec,
  encodePayload(w, s, encode) {
    const values: unknown[] = [[...s.keys], s.layoutDesc, s.extraCount, s.policy, s.attnDesc, s.mode];
    w.u8(0x80 | KEYS.length);
    KEYS.forEach((k, i) => {
      w.raw(k);
      encode(w, values[i]);
    });
  },
  decodePayload(payload) {
    const m = payloadMap(payload, tag);
    const keys = field(m, 'keys', tag, isArray);
    if (!keys.every((k) => k instanceof ObjectKey)) throw new CodecPayloadError(`${tag}.keys must be ObjectKeys`);
    const policy = field(m, 'policy', tag, instance(EnumMember));
    const mode = field(m, 'mode', tag, instance(EnumMember));
    return new PrefetchRequestSpec(
      keys as ObjectKey[],
      field(m, 'layout_desc', tag, instance(MemoryLayoutDesc)),
      field(m, 'extra_count', tag, isInt, 0),
      policy as PrefetchRequestSpec['policy'],
      field(m, 'attn_desc', tag, instance(AttnWindowDesc)),
      mode as PrefetchRequestSpec['mode'],
    );
  },
};
