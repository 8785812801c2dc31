import { MemoryLayoutDesc, MsgpackWriter, ObjectKey, RawTagged, RecordFrameEncoder, SM_METHODS, TraceParser, createDefaultRegistry, encodeHeaderFrame, smQualname } from '@kvtrace/trace';
import type { RecordBatch } from './record-store.ts';

/** A small in-memory trace for model and view tests: every record's args carry `i` and some keys. */
export function testTrace(n: number, keysPer = 2): Uint8Array {
  const reg = createDefaultRegistry();
  const w = new MsgpackWriter();
  w.raw(encodeHeaderFrame({ level: 'storage', t_mono_start: 0, t_wall_start: 1776340800.125, sm_config_json: '', sm_config_digest: '' }, reg));
  const enc = new RecordFrameEncoder(reg);
  const layout = new MemoryLayoutDesc([[2, 4]], ['torch.float16']);
  const names = Object.freeze(['keys', 'layout_desc', 'i']);
  for (let i = 0; i < n; i++) {
    const keys = Array.from({ length: keysPer }, (_, k) => new ObjectKey(new Uint8Array(32).fill((i + k) & 0xff), 'model-a', 0x01000100));
    enc.append(w, i * 0.001, 1776340800.125 + i * 0.001, smQualname(i % 2 ? SM_METHODS.finishWrite : SM_METHODS.reserveWrite), names, [keys, layout, i]);
  }
  return w.bytes().slice();
}

/** Parses bytes with libs/trace and returns them as one worker-style batch. */
export function batchOf(bytes: Uint8Array): { batch: RecordBatch; parser: TraceParser } {
  const parser = new TraceParser();
  const recs = parser.push(bytes);
  parser.finish();
  const methods: string[] = [];
  const batch: RecordBatch = {
    count: recs.length,
    tMono: new Float64Array(recs.length),
    tWall: new Float64Array(recs.length),
    method: new Uint16Array(recs.length),
    offset: new Float64Array(recs.length),
    frameBytes: new Uint32Array(recs.length),
    newMethods: methods,
  };
  recs.forEach((r, i) => {
    let id = methods.indexOf(r.qualname);
    if (id < 0) id = methods.push(r.qualname) - 1;
    batch.tMono[i] = r.t_mono;
    batch.tWall[i] = r.t_wall;
    batch.method[i] = id;
    batch.offset[i] = r.offset;
    batch.frameBytes[i] = r.frameBytes;
  });
  return { batch, parser };
}

export const unknownValue = new RawTagged('Future', { a: 1 });
