import { TAGS } from '../format/spec.ts';
import { TorchSize } from '../model.ts';
import { intArrayPayload, writeIntArray, type Codec } from './codec.ts';

export const torchSizeCodec: Codec<TorchSize> = {
  tag: TAGS.torchSize,
  type: TorchSize,
  encodePayload: (w, s) => writeIntArray(w, s.dims),
  decodePayload: (payload) => new TorchSize(intArrayPayload(payload, 'torch.Size')),
};
