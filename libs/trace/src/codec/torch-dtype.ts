import { TAGS } from '../format/spec.ts';
import { TorchDtype } from '../model.ts';
import { CodecPayloadError, isStr, type Codec } from './codec.ts';

export const torchDtypeCodec: Codec<TorchDtype> = {
  tag: TAGS.torchDtype,
  type: TorchDtype,
  encodePayload: (w, d) => w.str(d.name),
  decodePayload(payload) {
    if (!isStr(payload)) throw new CodecPayloadError('torch.dtype payload must be a str');
    return new TorchDtype(payload);
  },
};
