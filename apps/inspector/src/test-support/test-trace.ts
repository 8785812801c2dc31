import { MemoryLayoutDesc, ObjectKey, RawTagged, TraceParser, type ConfigValue } from '@kvtrace/trace';
import { TraceBuilder, trafficCalls } from '@kvtrace/trace/test-support';
import type { RecordBatch } from '../model/record-store.ts';

/**
 * A small in-memory trace for model and view tests, 1 ms apart from t = 0: reserve_write and
 * finish_write in turn (written by the one trace builder), each with `keysPer` keys of `model` and
 * one extra argument `i` (its index), which a reader shows like any other.
 */
export function testTrace(n: number, keysPer = 2, model = 'model-a'): Uint8Array {
  const b = TraceBuilder.memory({ tMonoStart: 0, tWallStart: 1776340800.125 });
  const layout = new MemoryLayoutDesc([[2, 4]], ['torch.float16']);
  for (let i = 0; i < n; i++) {
    const keys = Array.from({ length: keysPer }, (_, k) => new ObjectKey(new Uint8Array(32).fill((i + k) & 0xff), model, 0x01000100));
    if (i % 2) b.call('finish_write', i * 0.001, { keys }, { i });
    else b.call('reserve_write', i * 0.001, { keys, layout_desc: layout, mode: 'new' }, { i });
  }
  return b.bytes();
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
    method: new Uint16Array(recs.length),
    offset: new Float64Array(recs.length),
    frameBytes: new Uint32Array(recs.length),
    newMethods: methods,
  };
  recs.forEach((r, i) => {
    let id = methods.indexOf(r.qualname);
    if (id < 0) id = methods.push(r.qualname) - 1;
    batch.tMono[i] = r.t_mono;
    batch.method[i] = id;
    batch.offset[i] = r.offset;
    batch.frameBytes[i] = r.frameBytes;
  });
  return { batch, parser };
}

export const unknownValue = new RawTagged('Future', { a: 1 });

/**
 * One server's serving traffic (the trace builder's `trafficCalls`, same seed → same calls and so
 * the same ObjectKeys on every server given that seed), rotated at record positions `cuts`: one
 * file per segment, each behind its own header with the same config, as `--trace-max-mb` writes.
 */
export function trafficSegments(o: { seed: number; requests: number; tWallStart: number; cuts?: readonly number[]; keysPerCall?: number; config?: ConfigValue }): Uint8Array[] {
  const calls = [...trafficCalls({ seed: o.seed, requests: o.requests, keysPerCall: o.keysPerCall ?? 4, concurrency: 3 })];
  const bounds = [0, ...(o.cuts ?? []), calls.length];
  return bounds.slice(1).map((end, s) => {
    const b = TraceBuilder.memory({ config: o.config ?? { l1_size_gb: 4 }, tMonoStart: 100, tWallStart: o.tWallStart });
    for (const c of calls.slice(bounds[s], end)) b.call(c.method, c.t, c.args);
    return b.bytes();
  });
}
