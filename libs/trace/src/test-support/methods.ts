/**
 * The traced storage-manager methods as a builder writes them: qualname, parameter names and
 * defaults, all taken from STORAGE_METHOD_SPECS (which takes them from format/spec.ts), so a
 * generated record has exactly the arguments the traced wrapper would record.
 */
import { SM_METHODS, SM_PARAMS } from '../format/spec.ts';
import type { ParamSpec } from '../publish/traced.ts';
import { STORAGE_METHOD_SPECS } from '../publish/storage-methods.ts';

/** A record-level method name: every SM_METHODS value but the bare context-manager name. */
export type SmMethod = Exclude<(typeof SM_METHODS)[keyof typeof SM_METHODS], typeof SM_METHODS.readPrefetched>;

type ParamsOf<M extends SmMethod> = M extends `${infer Base}.__${string}__` ? Base : M;
/** A method's parameter names (SM_PARAMS). */
export type SmParam<M extends SmMethod> = (typeof SM_PARAMS)[ParamsOf<M> & keyof typeof SM_PARAMS][number];
/** A call's arguments by parameter name; parameters with a default may be left out. */
export type SmArgs<M extends SmMethod> = { readonly [K in SmParam<M>]?: unknown };

export interface MethodSignature {
  readonly qualname: string;
  readonly names: readonly string[];
  /** Per name: its default, or NO_DEFAULT when a call must give it. */
  readonly defaults: readonly unknown[];
}

export const NO_DEFAULT: unique symbol = Symbol('no default');

function signature(qualname: string, params: readonly (ParamSpec | string)[]): MethodSignature {
  const specs = params.map((p) => (typeof p === 'string' ? { name: p } : p));
  return Object.freeze({
    qualname,
    names: Object.freeze(specs.map((p) => p.name)),
    defaults: Object.freeze(specs.map((p) => (Object.hasOwn(p, 'default') ? p.default : NO_DEFAULT))),
  });
}

const S = STORAGE_METHOD_SPECS;
const read = S.readPrefetchedResults;
/** Scoped methods record `.__enter__` and `.__exit__` with the scope's parameters (publish/traced.ts). */
export const SIGNATURES: Readonly<Record<SmMethod, MethodSignature>> = Object.freeze({
  [SM_METHODS.reserveWrite]: signature(S.reserveWrite.qualname, S.reserveWrite.params),
  [SM_METHODS.finishWrite]: signature(S.finishWrite.qualname, S.finishWrite.params),
  [SM_METHODS.submitPrefetchTask]: signature(S.submitPrefetchTask.qualname, S.submitPrefetchTask.params),
  [SM_METHODS.readPrefetchedEnter]: signature(`${read.qualname}.__enter__`, read.params),
  [SM_METHODS.readPrefetchedExit]: signature(`${read.qualname}.__exit__`, read.params),
  [SM_METHODS.finishReadPrefetched]: signature(S.finishReadPrefetched.qualname, S.finishReadPrefetched.params),
});

/**
 * Argument values in the signature's order, defaults filled in. A missing parameter without a
 * default, or a name the method does not have, is a mistake in the test: it throws, naming it.
 */
export function argValues(method: SmMethod, args: Readonly<Record<string, unknown>>): unknown[] {
  const sig = SIGNATURES[method];
  const out = new Array<unknown>(sig.names.length);
  let given = 0;
  for (let i = 0; i < sig.names.length; i++) {
    const name = sig.names[i]!;
    const v = args[name];
    if (v !== undefined) {
      out[i] = v;
      given++;
    } else if (sig.defaults[i] !== NO_DEFAULT) out[i] = sig.defaults[i];
    else throw new Error(`${method}: argument "${name}" is required (it has no default)`);
  }
  if (given !== countDefined(args)) {
    const unknown = Object.keys(args).filter((k) => args[k] !== undefined && !sig.names.includes(k));
    throw new Error(`${method} has no parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')} (parameters: ${sig.names.join(', ')})`);
  }
  return out;
}

function countDefined(args: Readonly<Record<string, unknown>>): number {
  let n = 0;
  for (const k in args) if (args[k] !== undefined) n++;
  return n;
}
