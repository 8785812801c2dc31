/**
 * Generated traces for the e2e suite and the inspector bench, written by the one seeded trace
 * builder (`@kvtrace/trace/test-support`) into a gitignored cache (never committed binaries).
 * Deterministic: the same options give the same bytes, so a cached file is reused when the stamp
 * beside it names the same options and builder.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { TraceBuilder, smallCalls, writeTraffic } from '@kvtrace/trace/test-support';

export interface GenOptions {
  records: number;
  /** ObjectKeys per call. */
  keys: number;
  /** Small shape only: 1 in `keyEvery` calls carries keys, the rest an empty list. */
  keyEvery?: number;
  seed?: number;
  /** Only the methods whose arguments are just keys (the smallest records), for row-count tests. */
  small?: boolean;
}

/** Bump when the builder's output for the same options changes, so cached files are regenerated. */
const GENERATOR = 'trace-builder-1';
const CONFIG = { l1_size_gb: 16, chunk_size: 256, l2: { kind: 'disk', path: '/var/cache/lmcache' } };

export function generateTrace(path: string, o: GenOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const b = TraceBuilder.file(tmp, { config: CONFIG });
  try {
    if (o.small) for (const c of smallCalls({ records: o.records, keys: o.keys, keyEvery: o.keyEvery, seed: o.seed ?? 7 })) b.call(c.method, c.t, c.args);
    else writeTraffic(b, { records: o.records, keysPerCall: o.keys, seed: o.seed ?? 7, gapS: 0.0001 });
    b.close();
  } catch (e) {
    b.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  renameSync(tmp, path);
  writeFileSync(stampOf(path), stamp(o));
}

/** Generates unless the file of an earlier run with the same options is there. */
export function ensureTrace(path: string, o: GenOptions): { path: string; generated: boolean } {
  const s = stampOf(path);
  if (existsSync(path) && statSync(path).size > 0 && existsSync(s) && readFileSync(s, 'utf8') === stamp(o)) return { path, generated: false };
  generateTrace(path, o);
  return { path, generated: true };
}

const stampOf = (path: string): string => `${path}.options.json`;
const stamp = (o: GenOptions): string => JSON.stringify({ generator: GENERATOR, ...o });
