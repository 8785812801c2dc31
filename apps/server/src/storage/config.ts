import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PyFloat, type ConfigValue } from '@kvtrace/trace';

export type EvictionPolicy = 'LRU' | 'FIFO';
export const EVICTION_POLICIES: readonly EvictionPolicy[] = ['LRU', 'FIFO'];

/** What shapes a storage manager; two managers built from equal configs behave the same. */
export interface StorageConfig {
  /** L1 capacity in GiB (2^30 bytes), as LMCache's `l1_size_gb`. */
  l1SizeGb: number;
  evictionPolicy: EvictionPolicy;
  /** Parent directory of the on-disk L2 (each manager works in its own subdirectory); null disables L2. */
  l2Dir: string | null;
  /** L2 capacity in GiB; least recently used files are deleted beyond it. */
  l2SizeGb: number;
  /** Concurrent L2 file operations (LMCache's `max_prefetch_workers`). */
  l2Workers: number;
  /** Bytes of finished objects waiting to be written to L2; beyond it new pushes are skipped (and counted). */
  l2MaxPendingBytes: number;
}

export const GIB = 2 ** 30;

export const DEFAULT_STORAGE_CONFIG: Readonly<StorageConfig> = Object.freeze({
  l1SizeGb: 0.1,
  evictionPolicy: 'LRU',
  l2Dir: join(tmpdir(), 'kvtrace-l2'),
  l2SizeGb: 4,
  l2Workers: 4,
  l2MaxPendingBytes: 256 * 2 ** 20,
});

export function l1CapacityBytes(config: StorageConfig): number {
  return Math.floor(config.l1SizeGb * GIB);
}

export function l2CapacityBytes(config: StorageConfig): number {
  return Math.floor(config.l2SizeGb * GIB);
}

/**
 * The config as it goes into the trace header (`sm_config_json`), in LMCache's vocabulary
 * (`l1_size_gb` as a Python float, `l2_adapters`), so digests of equal configs match across tools.
 */
export function storageConfigJson(config: StorageConfig): ConfigValue {
  return {
    eviction_policy: config.evictionPolicy,
    l1_size_gb: new PyFloat(config.l1SizeGb),
    l2_adapters: config.l2Dir === null ? [] : [{ type: 'fs', path: config.l2Dir, size_gb: new PyFloat(config.l2SizeGb) }],
    l2_store_policy: 'async_write_through',
    max_l2_pending_bytes: config.l2MaxPendingBytes,
    max_prefetch_workers: config.l2Workers,
  };
}

/**
 * The inverse of storageConfigJson, for replay from a trace header. Keys it does not know are
 * ignored (LMCache writes more); missing ones take the defaults.
 */
export function storageConfigFromJson(json: string): StorageConfig {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (e) {
    throw new Error(`sm_config_json is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('sm_config_json is not a JSON object');
  const o = v as Record<string, unknown>;
  const flags: Record<string, string | undefined> = {};
  if (o.l1_size_gb !== undefined) flags['l1-size-gb'] = String(o.l1_size_gb);
  if (o.eviction_policy !== undefined) flags['eviction-policy'] = String(o.eviction_policy);
  if (o.max_prefetch_workers !== undefined) flags['l2-workers'] = String(o.max_prefetch_workers);
  if (o.max_l2_pending_bytes !== undefined) flags['l2-max-pending-mb'] = String(Number(o.max_l2_pending_bytes) / 2 ** 20);
  const adapters = Array.isArray(o.l2_adapters) ? (o.l2_adapters as unknown[]) : [];
  const fs = adapters.find((a): a is Record<string, unknown> => a !== null && typeof a === 'object' && (a as Record<string, unknown>).type === 'fs');
  if (fs && typeof fs.path === 'string') {
    flags['l2-dir'] = fs.path;
    if (fs.size_gb !== undefined) flags['l2-size-gb'] = String(fs.size_gb);
  } else flags['l2-dir'] = '';
  return storageConfigFromFlags(flags);
}

function positiveNumber(flags: Record<string, string | boolean | undefined>, name: string, fallback: number, opts: { allowZero?: boolean; integer?: boolean; max?: number } = {}): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error(`--${name} needs a value`);
  const n = Number(raw);
  const kind = opts.integer ? 'an integer' : 'a number';
  if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) throw new Error(`--${name} must be ${kind}, got ${JSON.stringify(raw)}`);
  if (opts.allowZero ? n < 0 : n <= 0) throw new Error(`--${name} must be ${opts.allowZero ? '>= 0' : '> 0'}, got ${raw}`);
  if (opts.max !== undefined && n > opts.max) throw new Error(`--${name} must be at most ${opts.max}, got ${raw}`);
  return n;
}

/**
 * Builds a config from command-line flags (names without `--`). Every error names its flag.
 * `l2-dir` empty or `none` disables L2; absent, it is `<os tmpdir>/kvtrace-l2`.
 */
export function storageConfigFromFlags(flags: Record<string, string | boolean | undefined>): StorageConfig {
  const d = DEFAULT_STORAGE_CONFIG;
  // 1 TiB of L1 is far beyond any machine this runs on; the bound catches unit mistakes (bytes for GB).
  const l1SizeGb = positiveNumber(flags, 'l1-size-gb', d.l1SizeGb, { max: 1024 });
  if (Math.floor(l1SizeGb * GIB) < 1) throw new Error(`--l1-size-gb is too small: ${l1SizeGb} GB is less than one byte`);
  let evictionPolicy = d.evictionPolicy;
  const ep = flags['eviction-policy'];
  if (ep !== undefined) {
    if (typeof ep !== 'string') throw new Error('--eviction-policy needs a value (LRU or FIFO)');
    const up = ep.toUpperCase();
    if (!EVICTION_POLICIES.includes(up as EvictionPolicy)) throw new Error(`--eviction-policy must be one of ${EVICTION_POLICIES.join(', ')}, got ${JSON.stringify(ep)}`);
    evictionPolicy = up as EvictionPolicy;
  }
  let l2Dir: string | null = d.l2Dir;
  const dir = flags['l2-dir'];
  if (dir !== undefined) {
    if (typeof dir !== 'string') throw new Error('--l2-dir needs a directory path (an empty value disables L2)');
    if (dir.includes('\0')) throw new Error('--l2-dir contains a NUL byte');
    l2Dir = dir === '' || dir === 'none' ? null : dir;
  }
  const l2SizeGb = positiveNumber(flags, 'l2-size-gb', d.l2SizeGb, { max: 1 << 20 });
  const l2Workers = positiveNumber(flags, 'l2-workers', d.l2Workers, { integer: true, max: 256 });
  const pendingMb = positiveNumber(flags, 'l2-max-pending-mb', d.l2MaxPendingBytes / 2 ** 20, { allowZero: true, max: 1 << 20 });
  return { l1SizeGb, evictionPolicy, l2Dir, l2SizeGb, l2Workers, l2MaxPendingBytes: Math.floor(pendingMb * 2 ** 20) };
}

/** Flags storageConfigFromFlags reads (server.ts declares them to parseArgs). */
export const STORAGE_FLAGS = ['l1-size-gb', 'eviction-policy', 'l2-dir', 'l2-size-gb', 'l2-workers', 'l2-max-pending-mb'] as const;
