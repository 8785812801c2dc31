import { encodeConstStr } from '../format/msgpack-writer.ts';
import { TAGS } from '../format/spec.ts';
import { ObjectKey } from '../model.ts';
import { field, isBytes, isInt, isStr, payloadMap, type Codec } from './codec.ts';

// The payload's five keys in LMCache's order, pre-encoded: an ObjectKey is most of a record's bytes.
const K_HASH = encodeConstStr('chunk_hash');
const K_MODEL = encodeConstStr('model_name');
const K_RANK = encodeConstStr('kv_rank');
const K_GROUP = encodeConstStr('object_group_id');
const K_SALT = encodeConstStr('cache_salt');

export const objectKeyCodec: Codec<ObjectKey> = {
  tag: TAGS.objectKey,
  type: ObjectKey,
  encodePayload(w, k) {
    w.u8(0x85);
    w.raw(K_HASH);
    w.bin(k.chunkHash);
    w.raw(K_MODEL);
    w.str(k.modelName);
    w.raw(K_RANK);
    w.int(k.kvRank);
    w.raw(K_GROUP);
    w.int(k.objectGroupId);
    w.raw(K_SALT);
    w.str(k.cacheSalt);
  },
  decodePayload(payload) {
    const m = payloadMap(payload, 'ObjectKey');
    const tag = 'ObjectKey';
    // Schema v1 files lack cache_salt and sometimes object_group_id.
    return new ObjectKey(
      field(m, 'chunk_hash', tag, isBytes),
      field(m, 'model_name', tag, isStr),
      field(m, 'kv_rank', tag, isInt),
      field(m, 'object_group_id', tag, isInt, 0),
      field(m, 'cache_salt', tag, isStr, ''),
      true, // the decoder's bin is a fresh copy
    );
  },
};
