/**
 * The production-size trace of issue 12, generated once by the bench and cached (never committed):
 * an LMCache MP server at ~100 requests/s for an hour, about 2M calls and 6.5 GB. Built with the
 * one seeded trace builder (test-support/traffic.ts), so the calls are request flows as a serving
 * engine makes them (submit → enter → exit → finish_read_prefetched, reserve → finish_write) with
 * 16–32 ObjectKeys a request over several models and external request ids; ~3.3 KB a record.
 * Streamed to disk in bounded memory; the same spec gives the same bytes.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_MODELS, TraceBuilder, writeTraffic, type TrafficOptions, type TrafficSummary } from '../src/test-support/index.ts';

export interface BigTraceSpec {
  /** File name stem; every cached file of one stem is one spec (at most one is kept). */
  stem: string;
  traffic: TrafficOptions & { records: number };
}

export const PRODUCTION_TRACE: BigTraceSpec = {
  stem: 'production-2m',
  traffic: {
    seed: 2026,
    records: 2_000_000,
    keysPerCall: [16, 32],
    // ~100 requests/s, ~5 calls a request: one call every ~2 ms, about an hour in all.
    gapS: 0.0018,
    concurrency: 8,
    documents: 1024,
    models: [...TEST_MODELS, 'mistralai/Mistral-7B-Instruct-v0.3', 'deepseek-ai/DeepSeek-R1-Distill-Qwen-32B'],
    // The builder's cache model keeps every finished key unless bounded: bounded, its memory is too.
    cacheKeys: 65_536,
  },
};

export interface BigTrace {
  path: string;
  bytes: number;
  records: number;
  /** Set when this call generated the file (ms it took); null when it was reused. */
  generatedMs: number | null;
  summary: TrafficSummary;
}

interface Manifest {
  spec: BigTraceSpec;
  bytes: number;
  summary: TrafficSummary;
}

/**
 * The trace of `spec` in `dir`: reused when its manifest (written only after the file is complete)
 * matches the spec and the size, otherwise generated. Other files of the same stem are deleted
 * first: a 6 GB file is kept at most once.
 */
export function ensureBigTrace(dir: string, spec: BigTraceSpec = PRODUCTION_TRACE): BigTrace {
  const id = `${spec.stem}-${hashSpec(spec)}`;
  const path = join(dir, `${id}.lct`);
  const manifestPath = `${path}.json`;
  if (existsSync(path) && existsSync(manifestPath)) {
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    if (JSON.stringify(m.spec) === JSON.stringify(spec) && statSync(path).size === m.bytes)
      return { path, bytes: m.bytes, records: m.summary.records, generatedMs: null, summary: m.summary };
  }
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith(`${spec.stem}-`)) rmSync(join(dir, f), { force: true });
  const t0 = performance.now();
  const partial = `${path}.partial`;
  const b = TraceBuilder.file(partial, { config: { l1_size_gb: 60, chunk_size: 256, l2: { kind: 'disk', path: '/var/cache/lmcache' } } });
  let summary: TrafficSummary;
  try {
    summary = writeTraffic(b, spec.traffic);
  } finally {
    b.close();
  }
  renameSync(partial, path);
  const bytes = statSync(path).size;
  // The keys left held are for tests (ObjectKeys): the manifest keeps the counts.
  writeFileSync(manifestPath, JSON.stringify({ spec, bytes, summary: { ...summary, inFlight: undefined } } satisfies Manifest));
  return { path, bytes, records: summary.records, generatedMs: performance.now() - t0, summary };
}

/** A short stable tag of the spec, so a changed spec never reuses an old file. */
function hashSpec(spec: BigTraceSpec): string {
  let h = 0x811c9dc5;
  for (const c of JSON.stringify(spec)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
