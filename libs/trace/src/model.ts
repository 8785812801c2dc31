/**
 * The one model of trace data shared by the recorder, the readers and the apps: the header, the
 * record, the call event, and the value types that argument codecs turn into (shared/FORMAT.md).
 * Value types are immutable (frozen), so capturing a call's arguments never needs a deep copy of them.
 */
import { TORCH_DTYPE_ALIASES, TORCH_DTYPE_BYTES, type TorchDtypeName } from './format/spec.ts';

export interface TraceHeader {
  level: string;
  format_version: number;
  trace_schema_version: number;
  t_mono_start: number;
  t_wall_start: number;
  sm_config_json: string;
  sm_config_digest: string;
  /** SHA-256 of sm_config_json equals sm_config_digest (both empty counts as valid). */
  digest_valid: boolean;
  level_meta?: Record<string, unknown>;
  /** Size of the header frame including its prefix: the byte offset of the first record. */
  frame_bytes: number;
}

/** A truncated tail: the frame at `offset` claims `claimed` bytes (null: cut inside the prefix). */
export interface TruncationReport {
  offset: number;
  claimed: number | null;
  available: number;
}

export interface MalformedFrame {
  offset: number;
  length: number;
  reason: string;
}

/** A call as it is published by the traced wrapper: times taken in the caller at call start. */
export interface CallEvent {
  qualname: string;
  /** Monotonic seconds (performance clock), absolute: the recorder makes it relative. */
  tMono: number;
  /** Unix seconds, taken at the same moment as tMono. */
  tWall: number;
  /** Parameter names, shared by every event of the method (not copied per call). */
  argNames: readonly string[];
  /** A snapshot of the arguments, in argNames order, defaults filled in. */
  args: readonly unknown[];
}

/** A value with a codec tag this build does not know (or whose payload did not decode). */
export class RawTagged {
  constructor(
    readonly tag: string,
    readonly payload: unknown,
    readonly error?: string,
  ) {
    Object.freeze(this);
  }
}

/** A Python tuple (JS has none). */
export class Tuple {
  readonly items: readonly unknown[];
  constructor(items: readonly unknown[]) {
    this.items = Object.freeze([...items]);
    Object.freeze(this);
  }
}

export interface RankInfo {
  world: number;
  globalRank: number;
  localWorld: number;
  localRank: number;
}

/** kv_rank packs `world<<24 | global_rank<<16 | local_world<<8 | local_rank`. */
export function unpackKvRank(kvRank: number): RankInfo {
  return {
    world: (kvRank >>> 24) & 0xff,
    globalRank: (kvRank >>> 16) & 0xff,
    localWorld: (kvRank >>> 8) & 0xff,
    localRank: kvRank & 0xff,
  };
}

export function packKvRank(r: RankInfo): number {
  return ((r.world & 0xff) * 2 ** 24) + ((r.globalRank & 0xff) << 16) + ((r.localWorld & 0xff) << 8) + (r.localRank & 0xff);
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

const nibble = (c: number): number => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  let bad = hex.length % 2 !== 0;
  for (let i = 0; i < out.length && !bad; i++) {
    const hi = nibble(hex.charCodeAt(2 * i));
    const lo = nibble(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) bad = true;
    out[i] = (hi << 4) | lo;
  }
  if (bad) throw new Error(`not a hex string: ${hex.slice(0, 40)}`);
  return out;
}

export class ObjectKey {
  readonly chunkHash: Uint8Array;
  // Hex and id are computed on first use (decoding millions of keys must not pay for them); the
  // memo object is the one mutable part of a frozen key.
  private readonly memo: { hex: string | null; id: string | null };
  constructor(
    chunkHash: Uint8Array,
    readonly modelName: string,
    readonly kvRank: number = 0,
    readonly objectGroupId: number = 0,
    readonly cacheSalt: string = '',
    /** The caller hands over a buffer nobody else holds (a decoder's fresh copy): skip the copy. */
    owned = false,
  ) {
    // Otherwise the hash is copied, so a caller reusing its buffer cannot change a recorded key.
    this.chunkHash = owned ? chunkHash : chunkHash.slice();
    this.memo = { hex: null, id: null };
    Object.freeze(this);
  }
  /** Hex of chunkHash: the key of every index (store, lifecycles). */
  get hashHex(): string {
    return (this.memo.hex ??= toHex(this.chunkHash));
  }
  /** Identity of the cached object: every field takes part, as in LMCache's dataclass equality. */
  get id(): string {
    return (this.memo.id ??= `${this.hashHex}|${this.modelName}|${this.kvRank}|${this.objectGroupId}|${this.cacheSalt}`);
  }
}

/**
 * Bytes per element of a dtype string as it appears in a trace (canonical or an alias); a name
 * torch does not know counts 1 byte (the object still gets a size; the damage is reported elsewhere).
 */
export function dtypeBytes(dtype: string): number {
  if (Object.hasOwn(TORCH_DTYPE_BYTES, dtype)) return TORCH_DTYPE_BYTES[dtype as TorchDtypeName];
  if (Object.hasOwn(TORCH_DTYPE_ALIASES, dtype)) return TORCH_DTYPE_BYTES[TORCH_DTYPE_ALIASES[dtype]!];
  return 1;
}

export class MemoryLayoutDesc {
  readonly shapes: readonly (readonly number[])[];
  readonly dtypes: readonly string[];
  constructor(shapes: readonly (readonly number[])[], dtypes: readonly string[]) {
    this.shapes = Object.freeze(shapes.map((s) => Object.freeze([...s])));
    this.dtypes = Object.freeze([...dtypes]);
    Object.freeze(this);
  }
  /** Object size: sum over tensors of product(shape) x dtype bytes. Unknown dtypes count 1 byte. */
  get byteSize(): number {
    let total = 0;
    this.shapes.forEach((shape, i) => {
      const elems = shape.reduce((a, b) => a * b, 1);
      total += elems * dtypeBytes(this.dtypes[i] ?? '');
    });
    return total;
  }
}

export class TorchSize {
  readonly dims: readonly number[];
  constructor(dims: readonly number[]) {
    this.dims = Object.freeze([...dims]);
    Object.freeze(this);
  }
}

export class TorchDtype {
  constructor(readonly name: string) {
    Object.freeze(this);
  }
}

export type TrimPolicyName = 'PREFIX' | 'SEGMENTED_PREFIX' | 'SPARSE';
export type PrefetchModeName = 'LOOKUP' | 'WARM';

/** An enum member, encoded by its member name under its enum's tag. */
export class EnumMember<N extends string = string> {
  constructor(
    readonly enumName: string,
    readonly name: N,
  ) {
    Object.freeze(this);
  }
}
export const TrimPolicy = {
  PREFIX: new EnumMember<TrimPolicyName>('TrimPolicy', 'PREFIX'),
  SEGMENTED_PREFIX: new EnumMember<TrimPolicyName>('TrimPolicy', 'SEGMENTED_PREFIX'),
  SPARSE: new EnumMember<TrimPolicyName>('TrimPolicy', 'SPARSE'),
} as const;
export const PrefetchMode = {
  LOOKUP: new EnumMember<PrefetchModeName>('PrefetchMode', 'LOOKUP'),
  WARM: new EnumMember<PrefetchModeName>('PrefetchMode', 'WARM'),
} as const;

/** Per group: -1 full attention, >= 1 sliding-window chunks. */
export class AttnWindowDesc {
  readonly windows: readonly number[];
  constructor(windows: readonly number[]) {
    this.windows = Object.freeze([...windows]);
    Object.freeze(this);
  }
}

export class PrefetchRequestSpec {
  constructor(
    readonly keys: readonly ObjectKey[],
    readonly layoutDesc: MemoryLayoutDesc,
    readonly extraCount: number = 0,
    readonly policy: EnumMember<TrimPolicyName> = TrimPolicy.PREFIX,
    readonly attnDesc: AttnWindowDesc = new AttnWindowDesc([-1]),
    readonly mode: EnumMember<PrefetchModeName> = PrefetchMode.LOOKUP,
  ) {
    this.keys = Object.freeze([...keys]);
    Object.freeze(this);
  }
}

export class PrefetchHandle {
  /**
   * As the file holds it. LMCache writes `len(l1_found_indices)` (every L1 hit, not only a leading
   * run); a handle built here computes it so, a decoded one keeps the file's value (FORMAT.md).
   */
  readonly l1PrefixHitCount: number;
  constructor(
    /** -1: no L2 request was made. */
    readonly prefetchRequestId: number,
    readonly externalRequestId: string,
    readonly l1FoundIndices: readonly number[],
    readonly totalRequestedKeys: number,
    readonly submitTime: number,
    readonly l2OrigIndices: readonly number[],
    l1PrefixHitCount: number = l1FoundIndices.length,
  ) {
    this.l1FoundIndices = Object.freeze([...l1FoundIndices]);
    this.l2OrigIndices = Object.freeze([...l2OrigIndices]);
    this.l1PrefixHitCount = l1PrefixHitCount;
    Object.freeze(this);
  }
}

/** A record as a reader yields it; arguments are decoded only when asked for. */
export interface TraceRecord {
  /** 0-based position among the good records. */
  index: number;
  /** Byte offset of the frame's length prefix in the file. */
  offset: number;
  /** Frame size including its 4-byte prefix. */
  frameBytes: number;
  t_mono: number;
  t_wall: number;
  qualname: string;
  /** Decodes the `args` map (cached). Unknown tags are RawTagged values. */
  args(): Record<string, unknown>;
  /** Decodes the `args` map without caching it (one pass over a big trace). */
  decodeArgs(): Record<string, unknown>;
  /** Number of RawTagged values found by args() (0 before it is called). */
  readonly unknownTags: number;
}
