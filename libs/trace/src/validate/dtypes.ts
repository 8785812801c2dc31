import { TORCH_DTYPE_ALIASES, TORCH_DTYPES } from '../format/spec.ts';
import type { Violation } from './violation.ts';

const CANONICAL: ReadonlySet<string> = new Set(TORCH_DTYPES);

// A writer may accept an alias (spec.ts TORCH_DTYPE_ALIASES) only if it records the canonical
// name: LMCache's decoder refuses the alias itself.

/** The canonical name of a dtype or of one of torch's aliases; null for anything else. */
export function canonicalDtype(name: string): string | null {
  if (CANONICAL.has(name)) return name;
  return Object.hasOwn(TORCH_DTYPE_ALIASES, name) ? TORCH_DTYPE_ALIASES[name]! : null;
}

/** Why LMCache's decoder would refuse this dtype string, or null when it is a canonical name. */
export function dtypeViolation(name: string, path: string): Violation | null {
  if (CANONICAL.has(name)) return null;
  const alias = Object.hasOwn(TORCH_DTYPE_ALIASES, name) ? TORCH_DTYPE_ALIASES[name] : undefined;
  if (alias !== undefined) return { path, rule: `${JSON.stringify(name)} is an alias: LMCache decodes only canonical dtype names, here ${JSON.stringify(alias)}` };
  const prefixed = `torch.${name}`;
  const hint = CANONICAL.has(prefixed) ? ` (did you mean ${JSON.stringify(prefixed)}?)` : ' (canonical names are str() of a torch dtype, e.g. "torch.float16", "torch.bfloat16")';
  return { path, rule: `${JSON.stringify(name)} is not a torch dtype name LMCache decodes${hint}` };
}
