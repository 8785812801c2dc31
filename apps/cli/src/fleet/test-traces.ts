/**
 * For tests only: traces made from LMCache's fixture files (real bytes) by cutting them into
 * rotated segments or giving them another header, written at test time (no binaries committed).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { createDefaultRegistry, encodeHeaderFrame, MsgpackWriter, parseHeader, RecordFrameEncoder, segmentFileName, type TraceHeader } from '@kvtrace/trace';

export const FIXTURES = fileURLToPath(new URL('../../../../../shared/fixtures/lmcache/', import.meta.url));

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));

/** A trace's frames: the header frame and each record frame, as byte slices (well-formed input). */
export function frames(bytes: Uint8Array): { header: Uint8Array; records: Uint8Array[] } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let o = 0;
  while (o + 4 <= bytes.length) {
    const end = o + 4 + dv.getUint32(o);
    if (end > bytes.length) break;
    out.push(bytes.subarray(o, end));
    o = end;
  }
  return { header: out[0]!, records: out.slice(1) };
}

export function headerOf(bytes: Uint8Array): TraceHeader {
  const { header } = frames(bytes);
  return parseHeader(header, 4, header.length);
}

/** The header frame of `bytes` with some fields changed (re-encoded as our recorder writes it). */
export function changedHeader(bytes: Uint8Array, change: Partial<TraceHeader>): Uint8Array {
  const h = { ...headerOf(bytes), ...change };
  return encodeHeaderFrame(
    { level: h.level, t_mono_start: h.t_mono_start, t_wall_start: h.t_wall_start, sm_config_json: h.sm_config_json, sm_config_digest: h.sm_config_digest, trace_schema_version: h.trace_schema_version },
    createDefaultRegistry(),
  );
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
};

/** The same records behind another header. */
export function withHeader(bytes: Uint8Array, header: Uint8Array): Uint8Array {
  return concat([header, ...frames(bytes).records]);
}

/**
 * Writes `bytes` as rotated segments `NAME.lct`, `NAME.000001.lct`, ... in `dir`, cut before the
 * record indices in `cuts`, each segment behind the same header (as the server's rotation writes
 * them). Returns the paths in order.
 */
export function writeSegments(dir: string, name: string, bytes: Uint8Array, cuts: number[]): string[] {
  mkdirSync(dir, { recursive: true });
  const { header, records } = frames(bytes);
  const bounds = [0, ...cuts, records.length];
  return bounds.slice(1).map((end, i) => {
    const path = join(dir, segmentFileName(name, i));
    writeFileSync(path, concat([header, ...records.slice(bounds[i]!, end)]));
    return path;
  });
}

/** Runs a command's `run(argv)` in this process with standard output and error captured. */
export async function captureRun(fn: (argv: string[]) => Promise<number>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true));
  try {
    return { code: await fn(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** A trace of the given calls, encoded with libs/trace's own writer (any values, even ones the recorder would refuse). */
export function encodeCalls(calls: { t: number; qualname: string; names: readonly string[]; args: readonly unknown[] }[], header: { t_wall_start?: number } = {}): Uint8Array {
  const registry = createDefaultRegistry();
  const tWall = header.t_wall_start ?? 1776340800.125;
  const head = encodeHeaderFrame({ level: 'storage', t_mono_start: 1000, t_wall_start: tWall, sm_config_json: '', sm_config_digest: '' }, registry);
  const w = new MsgpackWriter(1 << 16);
  const enc = new RecordFrameEncoder(registry);
  for (const c of calls) enc.append(w, c.t, tWall + c.t, c.qualname, c.names, c.args);
  return concat([head, w.bytes().slice()]);
}
