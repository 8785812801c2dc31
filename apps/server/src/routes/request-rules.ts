/**
 * The check every /v1 route runs after its JSON schema (which checks types and bounds): what
 * LMCache's decoder accepts, from `@kvtrace/trace`'s validate/ rules, so nothing the API takes can
 * end up in a trace LMCache cannot read. Layout dtypes given as one of torch's aliases
 * (`torch.half`) are rewritten to their canonical name (`torch.float16`), which is what gets
 * recorded; any other refusal is a 400 naming the field and the rule.
 */
import { canonicalDtype, dtypeViolation, objectKeyViolation, unicodeViolation, type Violation } from '@kvtrace/trace';
import { FieldError } from '../errors.ts';
import type { KeyJson, LayoutJson } from '../protocol/wire.ts';

function fail(v: Violation): never {
  throw new FieldError(v.path, v.rule);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every string of the body (keys of maps too) must be valid Unicode. */
function checkStrings(v: unknown, path: string): void {
  if (typeof v === 'string') {
    const bad = unicodeViolation(v, path);
    if (bad) fail(bad);
  } else if (Array.isArray(v)) v.forEach((x, i) => checkStrings(x, `${path}[${i}]`));
  else if (isObject(v))
    for (const [k, x] of Object.entries(v)) {
      const sub = path ? `${path}.${k}` : k;
      const bad = unicodeViolation(k, sub);
      if (bad) fail(bad);
      checkStrings(x, sub);
    }
}

function checkKeys(keys: readonly KeyJson[]): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = objectKeyViolation({ modelName: k.model_name, objectGroupId: k.object_group_id ?? 0, cacheSalt: k.cache_salt ?? '' }, `keys[${i}]`);
    if (v) fail(v);
  }
}

function canonicalizeLayout(layout: LayoutJson): void {
  layout.dtypes.forEach((d, i) => {
    const canonical = canonicalDtype(d);
    if (canonical === null) fail(dtypeViolation(d, `layout.dtypes[${i}]`)!);
    layout.dtypes[i] = canonical;
  });
}

/** Throws a FieldError (400) for the first part of a schema-valid body LMCache could not decode. */
export function checkRequestBody(body: unknown): void {
  if (!isObject(body)) return;
  checkStrings(body, '');
  if (Array.isArray(body.keys)) checkKeys(body.keys as KeyJson[]);
  if (isObject(body.layout) && Array.isArray(body.layout.dtypes)) canonicalizeLayout(body.layout as unknown as LayoutJson);
}
