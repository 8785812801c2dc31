/**
 * The `.lct` format's single source of truth (see shared/FORMAT.md, taken from LMCache's
 * `lmcache/v1/mp_observability/trace/`). Nothing else in the project hard-codes these values.
 */

/** Every frame is a big-endian u32 length, then that many bytes of msgpack. */
export const FRAME_PREFIX_BYTES = 4;
/** The largest body a u32 prefix can claim (the writer refuses more); a reader never allocates a claimed size up front. */
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

/** Header keys, by role, in LMCache's write order (its msgspec struct; `type` is the struct tag). */
export const HEADER_KEY = {
  type: 'type',
  magic: 'magic',
  formatVersion: 'format_version',
  level: 'level',
  schemaVersion: 'trace_schema_version',
  tMonoStart: 't_mono_start',
  tWallStart: 't_wall_start',
  configJson: 'sm_config_json',
  configDigest: 'sm_config_digest',
  levelMeta: 'level_meta',
} as const;
export const HEADER_TYPE = 'header';

/** Record keys, by role, in write order. `args` is last, so a scan can stop before it. */
export const RECORD_KEY = { type: 'type', tMono: 't_mono', tWall: 't_wall', qualname: 'qualname', args: 'args' } as const;
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

/** Payload map keys of the struct-like codecs, in the order LMCache's encoder writes them. */
export const OBJECT_KEY_FIELDS = ['chunk_hash', 'model_name', 'kv_rank', 'object_group_id', 'cache_salt'] as const;
export const MEMORY_LAYOUT_FIELDS = ['shapes', 'dtypes'] as const;
export const PREFETCH_REQUEST_SPEC_FIELDS = ['keys', 'layout_desc', 'extra_count', 'policy', 'attn_desc', 'mode'] as const;
/** `l1_prefix_hit_count` is `len(l1_found_indices)` (LMCache derives it so; FORMAT.md). */
export const PREFETCH_HANDLE_FIELDS = [
  'prefetch_request_id',
  'external_request_id',
  'l1_prefix_hit_count',
  'l1_found_indices',
  'total_requested_keys',
  'submit_time',
  'l2_orig_indices',
] as const;

/** Enum member names per enum tag. */
export const TRIM_POLICY_NAMES = ['PREFIX', 'SEGMENTED_PREFIX', 'SPARSE'] as const;
export const PREFETCH_MODE_NAMES = ['LOOKUP', 'WARM'] as const;

/**
 * The dtype strings LMCache's decoder accepts: exactly `str()` of torch 2.13's dtype objects, the
 * canonical names (46). Aliases (`torch.half`, `torch.float`, `float16`) are refused by LMCache.
 */
export const TORCH_DTYPES = [
  'torch.bfloat16', 'torch.bits16', 'torch.bits1x8', 'torch.bits2x4', 'torch.bits4x2', 'torch.bits8', 'torch.bool',
  'torch.complex128', 'torch.complex32', 'torch.complex64', 'torch.float16', 'torch.float32', 'torch.float4_e2m1fn_x2',
  'torch.float64', 'torch.float8_e4m3fn', 'torch.float8_e4m3fnuz', 'torch.float8_e5m2', 'torch.float8_e5m2fnuz',
  'torch.float8_e8m0fnu',
  'torch.int1', 'torch.int2', 'torch.int3', 'torch.int4', 'torch.int5', 'torch.int6', 'torch.int7', 'torch.int8',
  'torch.int16', 'torch.int32', 'torch.int64',
  'torch.qint32', 'torch.qint8', 'torch.quint2x4', 'torch.quint4x2', 'torch.quint8',
  'torch.uint1', 'torch.uint2', 'torch.uint3', 'torch.uint4', 'torch.uint5', 'torch.uint6', 'torch.uint7', 'torch.uint8',
  'torch.uint16', 'torch.uint32', 'torch.uint64',
] as const;
export type TorchDtypeName = (typeof TORCH_DTYPES)[number];

/**
 * Bytes per element of each canonical dtype: torch's `itemsize`, which LMCache multiplies by the
 * element count for an object's size. Sub-byte and packed types (int1..int7, uint1..uint7, bits*,
 * quint4x2, quint2x4, float4_e2m1fn_x2) are stored a byte per element.
 */
export const TORCH_DTYPE_BYTES: Readonly<Record<TorchDtypeName, number>> = {
  'torch.bfloat16': 2, 'torch.bits16': 2, 'torch.bits1x8': 1, 'torch.bits2x4': 1, 'torch.bits4x2': 1, 'torch.bits8': 1, 'torch.bool': 1,
  'torch.complex128': 16, 'torch.complex32': 4, 'torch.complex64': 8, 'torch.float16': 2, 'torch.float32': 4, 'torch.float4_e2m1fn_x2': 1,
  'torch.float64': 8, 'torch.float8_e4m3fn': 1, 'torch.float8_e4m3fnuz': 1, 'torch.float8_e5m2': 1, 'torch.float8_e5m2fnuz': 1,
  'torch.float8_e8m0fnu': 1,
  'torch.int1': 1, 'torch.int2': 1, 'torch.int3': 1, 'torch.int4': 1, 'torch.int5': 1, 'torch.int6': 1, 'torch.int7': 1, 'torch.int8': 1,
  'torch.int16': 2, 'torch.int32': 4, 'torch.int64': 8,
  'torch.qint32': 4, 'torch.qint8': 1, 'torch.quint2x4': 1, 'torch.quint4x2': 1, 'torch.quint8': 1,
  'torch.uint1': 1, 'torch.uint2': 1, 'torch.uint3': 1, 'torch.uint4': 1, 'torch.uint5': 1, 'torch.uint6': 1, 'torch.uint7': 1, 'torch.uint8': 1,
  'torch.uint16': 2, 'torch.uint32': 4, 'torch.uint64': 8,
};

/** torch's other names for canonical dtypes (`str(torch.half)` is `torch.float16`; LMCache decodes only the canonical ones). */
export const TORCH_DTYPE_ALIASES: Readonly<Record<string, TorchDtypeName>> = {
  'torch.half': 'torch.float16',
  'torch.float': 'torch.float32',
  'torch.double': 'torch.float64',
  'torch.chalf': 'torch.complex32',
  'torch.cfloat': 'torch.complex64',
  'torch.cdouble': 'torch.complex128',
  'torch.short': 'torch.int16',
  'torch.int': 'torch.int32',
  'torch.long': 'torch.int64',
};

/** LMCache's ObjectKey invariants (FORMAT.md, ObjectKey). */
export const OBJECT_KEY_RULES = {
  /** Characters `model_name` may not contain. */
  modelNameForbidden: ['@'],
  /** Characters `cache_salt` may not contain. */
  cacheSaltForbidden: ['@', '/', '\\', '\0'],
  cacheSaltMaxChars: 128,
  minObjectGroupId: 0,
} as const;

export const STORAGE_MANAGER_PREFIX = 'lmcache.v1.distributed.storage_manager.StorageManager.';

/** The traced storage-manager API (level `storage`), by short method name. */
export const SM_METHODS = {
  reserveWrite: 'reserve_write',
  finishWrite: 'finish_write',
  submitPrefetchTask: 'submit_prefetch_task',
  /** A context manager: its records are the two below. */
  readPrefetched: 'read_prefetched_results',
  readPrefetchedEnter: 'read_prefetched_results.__enter__',
  readPrefetchedExit: 'read_prefetched_results.__exit__',
  finishReadPrefetched: 'finish_read_prefetched',
} as const;

/**
 * Parameter names of each traced method, in LMCache's order (the wrapper fills in defaults, so a
 * record's `args` map has exactly these keys). `read_prefetched_results` is a context manager whose
 * `.__enter__` and `.__exit__` records both carry its parameters.
 */
export const SM_PARAMS = {
  reserve_write: ['keys', 'layout_desc', 'mode'],
  finish_write: ['keys'],
  submit_prefetch_task: ['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode'],
  read_prefetched_results: ['keys'],
  finish_read_prefetched: ['keys', 'extra_count'],
} as const satisfies Record<string, readonly string[]>;

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
