/** A value LMCache could not decode: where it is (`keys[2].model_name`) and which rule it breaks. */
export interface Violation {
  path: string;
  rule: string;
}

export const violationMessage = (v: Violation): string => (v.path ? `${v.path}: ${v.rule}` : v.rule);

/** `base.field`, `base[i]`, or the bare name at the top. */
export const fieldPath = (base: string, field: string): string => (base ? `${base}.${field}` : field);
export const indexPath = (base: string, i: number): string => `${base}[${i}]`;
