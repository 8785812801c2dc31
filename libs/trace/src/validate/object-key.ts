import { OBJECT_KEY_RULES } from '../format/spec.ts';
import { unicodeViolation } from './unicode.ts';
import { fieldPath, type Violation } from './violation.ts';

/** The ObjectKey fields LMCache's constructor checks (an ObjectKey has this shape; so does a JSON key, renamed). */
export interface ObjectKeyFields {
  readonly modelName: string;
  readonly objectGroupId: number;
  readonly cacheSalt: string;
}

/** Python's len(): code points, not UTF-16 units. */
function codePoints(s: string, atMost: number): number {
  if (s.length <= atMost) return s.length;
  let n = 0;
  for (const _ of s) n++;
  return n;
}

const forbiddenIn = (s: string, chars: readonly string[]): string | undefined => chars.find((c) => s.includes(c));
const show = (c: string): string => (c === '\0' ? 'NUL' : JSON.stringify(c));

/**
 * LMCache's ObjectKey invariants (FORMAT.md): no `@` in model_name, object_group_id >= 0, and a
 * cache_salt without `@ / \ NUL` of at most 128 characters; strings must be valid Unicode. Field
 * names in the answer are the file's and the API's (`model_name`).
 */
export function objectKeyViolation(k: ObjectKeyFields, path: string): Violation | null {
  const R = OBJECT_KEY_RULES;
  const model = forbiddenIn(k.modelName, R.modelNameForbidden);
  if (model !== undefined) return { path: fieldPath(path, 'model_name'), rule: `contains ${show(model)}, which LMCache's ObjectKey refuses in model_name` };
  const badModel = unicodeViolation(k.modelName, fieldPath(path, 'model_name'));
  if (badModel) return badModel;
  if (!(k.objectGroupId >= R.minObjectGroupId))
    return { path: fieldPath(path, 'object_group_id'), rule: `is ${k.objectGroupId}: LMCache's ObjectKey requires object_group_id >= ${R.minObjectGroupId}` };
  const salt = forbiddenIn(k.cacheSalt, R.cacheSaltForbidden);
  if (salt !== undefined)
    return { path: fieldPath(path, 'cache_salt'), rule: `contains ${show(salt)}, which LMCache's ObjectKey refuses in cache_salt (no ${R.cacheSaltForbidden.map(show).join(' ')})` };
  const n = codePoints(k.cacheSalt, R.cacheSaltMaxChars);
  if (n > R.cacheSaltMaxChars) return { path: fieldPath(path, 'cache_salt'), rule: `is ${n} characters: LMCache's ObjectKey allows at most ${R.cacheSaltMaxChars}` };
  return unicodeViolation(k.cacheSalt, fieldPath(path, 'cache_salt'));
}
