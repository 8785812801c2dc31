import { encodeConstStr } from '../format/msgpack-writer.ts';
import { TAGS } from '../format/spec.ts';
import { MemoryLayoutDesc } from '../model.ts';
import { CodecPayloadError, field, isArray, isIntArray, isStr, payloadMap, writeIntArray, type Codec } from './codec.ts';

const K_SHAPES = encodeConstStr('shapes');
const K_DTYPES = encodeConstStr('dtypes');

export const memoryLayoutDescCodec: Codec<MemoryLayoutDesc> = {
  tag: TAGS.memoryLayoutDesc,
  type: MemoryLayoutDesc,
  encodePayload(w, d) {
    w.u8(0x82);
    w.raw(K_SHAPES);
    w.arrayHeader(d.shapes.length);
    for (const s of d.shapes) writeIntArray(w, s);
    w.raw(K_DTYPES);
    w.arrayHeader(d.dtypes.length);
    for (const t of d.dtypes) w.str(t);
  },
  decodePayload(payload) {
    const tag = 'MemoryLayoutDesc';
    const m = payloadMap(payload, tag);
    const shapes = field(m, 'shapes', tag, isArray);
    const dtypes = field(m, 'dtypes', tag, isArray);
    if (!shapes.every(isIntArray)) throw new CodecPayloadError('MemoryLayoutDesc.shapes must be arrays of ints');
    if (!dtypes.every(isStr)) throw new CodecPayloadError('MemoryLayoutDesc.dtypes must be strs');
    return new MemoryLayoutDesc(shapes, dtypes);
  },
};
