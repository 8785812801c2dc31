import { TAGS } from '../format/spec.ts';
import { Tuple } from '../model.ts';
import { CodecPayloadError, isArray, type Codec } from './codec.ts';

export const tupleCodec: Codec<Tuple> = {
  tag: TAGS.tuple,
  type: Tuple,
  encodePayload(w, t, encode) {
    w.arrayHeader(t.items.length);
    for (const item of t.items) encode(w, item);
  },
  decodePayload(payload) {
    if (!isArray(payload)) throw new CodecPayloadError('tuple payload must be an array');
    return new Tuple(payload);
  },
};
