import { TAGS } from '../format/spec.ts';
import { EnumMember, PrefetchMode, TrimPolicy } from '../model.ts';
import { CodecPayloadError, type Codec } from './codec.ts';

/** Enums are written by member name; decoding accepts only known members (returns the shared constant). */
function enumCodec(tag: string, members: Record<string, EnumMember>): Codec<EnumMember> {
  return {
    tag,
    type: EnumMember,
    accepts: (v) => v.enumName === tag,
    encodePayload: (w, v) => w.str(v.name),
    decodePayload(payload) {
      const m = typeof payload === 'string' ? members[payload] : undefined;
      if (!m) throw new CodecPayloadError(`${tag} has no member ${JSON.stringify(payload)}`);
      return m;
    },
  };
}

export const trimPolicyCodec = enumCodec(TAGS.trimPolicy, TrimPolicy);
export const prefetchModeCodec = enumCodec(TAGS.prefetchMode, PrefetchMode);
