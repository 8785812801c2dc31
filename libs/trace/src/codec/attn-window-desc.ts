import { TAGS } from '../format/spec.ts';
import { AttnWindowDesc } from '../model.ts';
import { intArrayPayload, writeIntArray, type Codec } from './codec.ts';

export const attnWindowDescCodec: Codec<AttnWindowDesc> = {
  tag: TAGS.attnWindowDesc,
  type: AttnWindowDesc,
  encodePayload: (w, d) => writeIntArray(w, d.windows),
  decodePayload: (payload) => new AttnWindowDesc(intArrayPayload(payload, 'AttnWindowDesc')),
};
