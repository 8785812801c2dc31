import {
  AttnWindowDesc,
  EnumMember,
  MemoryLayoutDesc,
  ObjectKey,
  PrefetchHandle,
  PrefetchRequestSpec,
  RawTagged,
  TorchDtype,
  TorchSize,
  Tuple,
  toHex,
} from '@kvtrace/trace';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * A decoded argument value as plain JSON, with the field names LMCache uses in the file (so an
 * export reads like the Python side's `msgspec.to_builtins`): bytes as hex, ObjectKey as
 * `{chunk_hash: hex, ...}`, enums by member name, and an unknown tag as `{__t__, v}` exactly as it
 * was stored.
 */
export function toJson(v: unknown): Json {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // JSON has no NaN/Infinity; Python's json writes them bare, which most parsers refuse.
      return Number.isFinite(v) ? v : String(v);
    case 'bigint':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    case 'undefined':
      return null;
    case 'object':
      break;
    default:
      return String(v);
  }
  if (v === null) return null;
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof ObjectKey)
    return { chunk_hash: v.hashHex, model_name: v.modelName, kv_rank: v.kvRank, object_group_id: v.objectGroupId, cache_salt: v.cacheSalt };
  if (v instanceof MemoryLayoutDesc) return { shapes: v.shapes.map((s) => [...s]), dtypes: [...v.dtypes] };
  if (v instanceof EnumMember) return v.name;
  if (v instanceof AttnWindowDesc) return [...v.windows];
  if (v instanceof TorchSize) return [...v.dims];
  if (v instanceof TorchDtype) return v.name;
  if (v instanceof Tuple) return v.items.map(toJson);
  if (v instanceof Set) return [...v].map(toJson);
  if (v instanceof PrefetchRequestSpec)
    return {
      keys: v.keys.map(toJson),
      layout_desc: toJson(v.layoutDesc),
      extra_count: v.extraCount,
      policy: v.policy.name,
      attn_desc: [...v.attnDesc.windows],
      mode: v.mode.name,
    };
  if (v instanceof PrefetchHandle)
    return {
      prefetch_request_id: v.prefetchRequestId,
      external_request_id: v.externalRequestId,
      l1_found_indices: [...v.l1FoundIndices],
      total_requested_keys: v.totalRequestedKeys,
      submit_time: v.submitTime,
      l2_orig_indices: [...v.l2OrigIndices],
      l1_prefix_hit_count: v.l1PrefixHitCount,
    };
  if (v instanceof RawTagged) return v.error === undefined ? { __t__: v.tag, v: toJson(v.payload) } : { __t__: v.tag, v: toJson(v.payload), error: v.error };
  if (v instanceof Map) {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of v) out[String(k)] = toJson(x);
    return out;
  }
  const out: { [k: string]: Json } = {};
  for (const k of Object.keys(v)) out[k] = toJson((v as Record<string, unknown>)[k]);
  return out;
}

/** A record's arguments as JSON, or the reason they could not be decoded. */
export function argsToJson(args: () => Record<string, unknown>): { args: Json; error: string | null } {
  try {
    return { args: toJson(args()), error: null };
  } catch (e) {
    return { args: null, error: (e as Error).message };
  }
}
