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
} from '../model.ts';
import { TAG_KEY, TAG_VALUE_KEY } from '../format/spec.ts';
import type { JsonValue } from './types.ts';

/**
 * A decoded argument value as JSON for exports: bytes as hex, ObjectKey as its five fields with the
 * hash in hex, known value types by their field names in the file (snake_case), enums by member
 * name, tuples and sets as arrays, unknown tags as they are in the file ({__t__, v}, plus `error` when a known tag's payload did not fit). Non-finite
 * floats become the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 */
export function toJsonValue(v: unknown): JsonValue {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
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
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (v instanceof Uint8Array) return toHex(v);
  if (v instanceof ObjectKey) return objectKeyJson(v);
  if (v instanceof EnumMember) return v.name;
  if (v instanceof Tuple) return v.items.map(toJsonValue);
  if (v instanceof Set) return [...v].map(toJsonValue);
  if (v instanceof MemoryLayoutDesc) return { shapes: v.shapes.map((s) => [...s]), dtypes: [...v.dtypes] };
  if (v instanceof TorchSize) return [...v.dims];
  if (v instanceof TorchDtype) return v.name;
  if (v instanceof AttnWindowDesc) return [...v.windows];
  if (v instanceof PrefetchRequestSpec)
    return {
      keys: v.keys.map(objectKeyJson),
      layout_desc: toJsonValue(v.layoutDesc),
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
  if (v instanceof RawTagged)
    return v.error === undefined
      ? { [TAG_KEY]: v.tag, [TAG_VALUE_KEY]: toJsonValue(v.payload) }
      : { [TAG_KEY]: v.tag, [TAG_VALUE_KEY]: toJsonValue(v.payload), error: v.error };
  if (v instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [k, item] of v) out[String(k)] = toJsonValue(item);
    return out;
  }
  const out: Record<string, JsonValue> = {};
  for (const [k, item] of Object.entries(v)) out[k] = toJsonValue(item);
  return out;
}

export function objectKeyJson(k: ObjectKey): { [k: string]: JsonValue } {
  return { chunk_hash: k.hashHex, model_name: k.modelName, kv_rank: k.kvRank, object_group_id: k.objectGroupId, cache_salt: k.cacheSalt };
}

export function argsToJson(args: Record<string, unknown>): { [k: string]: JsonValue } {
  const out: Record<string, JsonValue> = {};
  for (const name in args) out[name] = toJsonValue(args[name]);
  return out;
}
