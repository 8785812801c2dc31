import { TAGS } from '../format/spec.ts';
import { CodecPayloadError, isArray, type Codec } from './codec.ts';

export const setCodec: Codec<Set<unknown>> = {
  tag: TAGS.set,
  type: Set,
  encodePayload(w, s, encode) {
    w.arrayHeader(s.size);
    for (const item of s) encode(w, item);
  },
  decodePayload(payload) {
    if (!isArray(payload)) throw new CodecPayloadError('set payload must be an array');
    return new Set(payload);
  },
};
