import { PREFETCH_MODE_NAMES, TRIM_POLICY_NAMES } from '../format/spec.ts';
import { AttnWindowDesc, EnumMember, MemoryLayoutDesc, ObjectKey, PrefetchHandle, PrefetchRequestSpec, RawTagged, TorchDtype, TorchSize, Tuple } from '../model.ts';
import { dtypeViolation } from './dtypes.ts';
import { objectKeyViolation } from './object-key.ts';
import { unicodeViolation } from './unicode.ts';
import { fieldPath, indexPath, type Violation } from './violation.ts';

const ENUM_NAMES: Readonly<Record<string, readonly string[]>> = { TrimPolicy: TRIM_POLICY_NAMES, PrefetchMode: PREFETCH_MODE_NAMES };

function layoutViolation(d: MemoryLayoutDesc, path: string): Violation | null {
  for (let i = 0; i < d.dtypes.length; i++) {
    const v = dtypeViolation(d.dtypes[i]!, indexPath(fieldPath(path, 'dtypes'), i));
    if (v) return v;
  }
  return null;
}

function itemsViolation(items: readonly unknown[], path: string): Violation | null {
  // A call's keys nearly always share model and salt: their strings are judged once per run of
  // equal ones (the recorder checks every record, so this is its hot path).
  let model: string | null = null;
  let salt: string | null = null;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item instanceof ObjectKey && item.modelName === model && item.cacheSalt === salt && item.objectGroupId >= 0) continue;
    const v = lmcacheViolation(item, indexPath(path, i));
    if (v) return v;
    if (item instanceof ObjectKey) {
      model = item.modelName;
      salt = item.cacheSalt;
    }
  }
  return null;
}

/**
 * The first part of an argument value (as recorded, or as decoded from a file) that LMCache's
 * decoder would refuse, or null when all of it decodes there. The recorder refuses a record for
 * which this is not null; readers use it to flag values in old files and still show them.
 * `RawTagged` values (tags this build does not know) are not judged.
 */
export function lmcacheViolation(value: unknown, path = ''): Violation | null {
  switch (typeof value) {
    case 'string':
      return unicodeViolation(value, path);
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null || value instanceof Uint8Array) return null;
  if (Array.isArray(value)) return itemsViolation(value, path);
  if (value instanceof ObjectKey) return objectKeyViolation(value, path);
  if (value instanceof MemoryLayoutDesc) return layoutViolation(value, path);
  if (value instanceof TorchDtype) return dtypeViolation(value.name, path);
  if (value instanceof EnumMember) {
    const names = Object.hasOwn(ENUM_NAMES, value.enumName) ? ENUM_NAMES[value.enumName] : undefined;
    return names && !names.includes(value.name) ? { path, rule: `${JSON.stringify(value.name)} is not a ${value.enumName} member (${names.join(', ')})` } : null;
  }
  if (value instanceof PrefetchRequestSpec)
    return itemsViolation(value.keys, fieldPath(path, 'keys')) ?? layoutViolation(value.layoutDesc, fieldPath(path, 'layout_desc')) ?? lmcacheViolation(value.policy, fieldPath(path, 'policy')) ?? lmcacheViolation(value.mode, fieldPath(path, 'mode'));
  if (value instanceof PrefetchHandle) return unicodeViolation(value.externalRequestId, fieldPath(path, 'external_request_id'));
  if (value instanceof Tuple) return itemsViolation(value.items, path);
  if (value instanceof Set) return itemsViolation([...value], path);
  if (value instanceof TorchSize || value instanceof AttnWindowDesc || value instanceof RawTagged) return null;
  const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value : Object.entries(value);
  for (const [k, v] of entries) {
    const keyPath = fieldPath(path, String(k));
    if (typeof k === 'string') {
      const bad = unicodeViolation(k, path || '(map key)');
      if (bad) return bad;
    }
    const inner = lmcacheViolation(v, keyPath);
    if (inner) return inner;
  }
  return null;
}

/** The first argument of a call (names and values in order) that LMCache could not decode. */
export function argsViolation(names: readonly string[], values: readonly unknown[]): Violation | null {
  for (let i = 0; i < values.length; i++) {
    const v = lmcacheViolation(values[i], names[i] ?? String(i));
    if (v) return v;
  }
  return null;
}
