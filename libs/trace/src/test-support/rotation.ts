/**
 * Rotated recordings and changed headers made from any trace's bytes (a fixture's real bytes, a
 * built trace): segments cut where a test wants them, each behind the same header as the server's
 * rotation writes them, and the same records behind another header (a digest or start that differs).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDefaultRegistry } from '../codec/registry.ts';
import { encodeHeaderFrame } from '../format/frame-writer.ts';
import { FRAME_PREFIX_BYTES } from '../format/spec.ts';
import { segmentFileName } from '../format/segment-name.ts';
import type { TraceHeader } from '../model.ts';
import { parseHeader } from '../read/header.ts';
import { concatBytes } from '../util/bytes.ts';
import { splitFrames } from './fixtures.ts';

/** The header frame (prefix included) and each record frame of a well-formed trace. */
export function traceFrames(bytes: Uint8Array): { header: Uint8Array; records: Uint8Array[] } {
  const frames = splitFrames(bytes).map((f) => bytes.subarray(f.offset, f.offset + FRAME_PREFIX_BYTES + f.body.length));
  return { header: frames[0]!, records: frames.slice(1) };
}

export function headerOf(bytes: Uint8Array): TraceHeader {
  const { header } = traceFrames(bytes);
  return parseHeader(header, FRAME_PREFIX_BYTES, header.length);
}

/** The header frame of `bytes` with some fields changed, encoded as the recorder writes it. */
export function changedHeader(bytes: Uint8Array, change: Partial<TraceHeader>): Uint8Array {
  const h = { ...headerOf(bytes), ...change };
  return encodeHeaderFrame(
    { level: h.level, t_mono_start: h.t_mono_start, t_wall_start: h.t_wall_start, sm_config_json: h.sm_config_json, sm_config_digest: h.sm_config_digest, trace_schema_version: h.trace_schema_version },
    createDefaultRegistry(),
  );
}

/** The same records behind another header frame. */
export const withHeader = (bytes: Uint8Array, header: Uint8Array): Uint8Array => concatBytes(header, ...traceFrames(bytes).records);

/**
 * Writes `bytes` as the rotated segments `NAME.lct`, `NAME.000001.lct`, ... in `dir`, cut before the
 * record indices in `cuts`, each behind the trace's header. Returns the paths in order.
 */
export function writeSegments(dir: string, name: string, bytes: Uint8Array, cuts: readonly number[]): string[] {
  mkdirSync(dir, { recursive: true });
  const { header, records } = traceFrames(bytes);
  const bounds = [0, ...cuts, records.length];
  return bounds.slice(1).map((end, i) => {
    const path = join(dir, segmentFileName(name, i));
    writeFileSync(path, concatBytes(header, ...records.slice(bounds[i]!, end)));
    return path;
  });
}
