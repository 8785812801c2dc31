/**
 * The `.lct` format's single source of truth (see shared/FORMAT.md, taken from LMCache's
 * `lmcache/v1/mp_observability/trace/`). Nothing else in the project hard-codes these values.
 */

/** Every frame is a big-endian u32 length, then that many bytes of msgpack. */
export const FRAME_PREFIX_BYTES = 4;
/** The largest body a u32 prefix can claim; a reader never allocates a claimed size up front. */
export const MAX_FRAME_BYTES = 0xffff_ffff;

export const MAGIC = new Uint8Array([0x4c, 0x4d, 0x43, 0x54]); // "LMCT"
export const FORMAT_VERSION = 1;
/** The schema version this library writes. */
export const TRACE_SCHEMA_VERSION = 2;
/** Versions a reader accepts; v1 recorded ObjectKey without `cache_salt`. */
export const READABLE_SCHEMA_VERSIONS: readonly number[] = [1, 2];
/** Versions replay accepts (v1 keys cannot be rebuilt faithfully). */
export const REPLAYABLE_SCHEMA_VERSIONS: readonly number[] = [2];

export const LEVEL_STORAGE = 'storage';
export const KNOWN_LEVELS: readonly string[] = [LEVEL_STORAGE];

/** Header keys in the order LMCache's msgspec struct writes them (`type` is the struct tag). */
export const HEADER_KEYS = [
  'type',
  'magic',
  'format_version',
  'level',
  'trace_schema_version',
  't_mono_start',
  't_wall_start',
  'sm_config_json',
  'sm_config_digest',
  'level_meta',
] as const;
export const HEADER_TYPE = 'header';

/** Record keys in write order; `args` is last, so a scan can stop before it. */
export const RECORD_KEYS = ['type', 't_mono', 't_wall', 'qualname', 'args'] as const;
export const RECORD_TYPE = 'record';

/** A codec-encoded value is a two-key map `{__t__: tag, v: payload}`. */
export const TAG_KEY = '__t__';
export const TAG_VALUE_KEY = 'v';

export const TAGS = {
  tuple: 'tuple',
  set: 'set',
  objectKey: 'ObjectKey',
  memoryLayoutDesc: 'MemoryLayoutDesc',
  torchSize: 'torch.Size',
  torchDtype: 'torch.dtype',
  trimPolicy: 'TrimPolicy',
  prefetchMode: 'PrefetchMode',
  attnWindowDesc: 'AttnWindowDesc',
  prefetchRequestSpec: 'PrefetchRequestSpec',
  prefetchHandle: 'PrefetchHandle',
} as const;

export const STORAGE_MANAGER_PREFIX = 'lmcache.v1.distributed.storage_manager.StorageManager.';

/** The traced storage-manager API (level `storage`), by short method name. */
export const SM_METHODS = {
  reserveWrite: 'reserve_write',
  finishWrite: 'finish_write',
  submitPrefetchTask: 'submit_prefetch_task',
  readPrefetchedEnter: 'read_prefetched_results.__enter__',
  readPrefetchedExit: 'read_prefetched_results.__exit__',
  finishReadPrefetched: 'finish_read_prefetched',
} as const;

export const smQualname = (method: string): string => STORAGE_MANAGER_PREFIX + method;

/** The name part after the class: `read_prefetched_results.__enter__`, `reserve_write`, ... */
export function shortMethodName(qualname: string): string {
  if (qualname.startsWith(STORAGE_MANAGER_PREFIX)) return qualname.slice(STORAGE_MANAGER_PREFIX.length);
  const parts = qualname.split('.');
  const last = parts[parts.length - 1] ?? qualname;
  if (last.startsWith('__') && parts.length >= 2) return `${parts[parts.length - 2]}.${last}`;
  return last;
}

/** `lmcache-trace-<pid>-<UTC yyyymmdd-HHMMSS>.lct` */
export function defaultTraceFileName(pid: number, at: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp =
    `${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}` +
    `-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}`;
  return `lmcache-trace-${pid}-${stamp}.lct`;
}

/** Bounded batching of the recorder (FORMAT: a crash loses at most this much). */
export const RECORDER_FLUSH_BYTES = 64 * 1024;
export const RECORDER_FLUSH_MS = 50;
export const DEFAULT_EVENT_QUEUE_SIZE = 10_000;
