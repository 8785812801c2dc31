import type { CallEvent } from '../model.ts';

/** The one switch read by every traced call. */
export class TraceGate {
  enabled = false;
}

export interface ParamSpec {
  name: string;
  /** Filled in when the caller passes undefined or omits the argument. */
  default?: unknown;
}

export interface MethodSpec {
  qualname: string;
  params: readonly (ParamSpec | string)[];
  /**
   * The method returns a Scope (a context manager): `.__enter__` is recorded when it is entered
   * and `.__exit__` when it is exited, also when the body threw.
   */
  scoped?: boolean;
}

export interface Tracer {
  gate: TraceGate;
  publish(event: CallEvent): unknown;
}

/** A scoped resource, like Python's context manager: exit receives the body's error, if any. */
export interface Scope<T> {
  enter(): T;
  exit(error?: unknown): void;
}

const now = (): number => performance.now();

/**
 * Copies what a caller could mutate after the call (arrays, plain objects, Maps, Sets, bytes), so
 * the record shows the arguments as they were at call time. Frozen value objects (ObjectKey,
 * MemoryLayoutDesc, ...) are shared, not copied.
 */
export function captureArg(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = captureArg(v[i]);
    return out;
  }
  if (v instanceof Uint8Array) return v.slice();
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, captureArg(x)]));
  if (v instanceof Set) return new Set([...v].map(captureArg));
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) out[k] = captureArg((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

function normalise(params: readonly (ParamSpec | string)[]): { names: readonly string[]; defaults: unknown[] } {
  const specs = params.map((p) => (typeof p === 'string' ? { name: p } : p));
  return { names: Object.freeze(specs.map((p) => p.name)), defaults: specs.map((p) => p.default) };
}

function captureCall(args: ArrayLike<unknown>, defaults: readonly unknown[]): unknown[] {
  const n = defaults.length;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const a = i < args.length ? args[i] : undefined;
    out[i] = captureArg(a === undefined ? defaults[i] : a);
  }
  return out;
}

function event(qualname: string, names: readonly string[], args: readonly unknown[]): CallEvent {
  const t = now();
  return { qualname, tMono: t / 1000, tWall: (performance.timeOrigin + t) / 1000, argNames: names, args };
}

type AnyFn = (...args: unknown[]) => unknown;

/**
 * The gate check, as a function of its own per traced method with the method's arity:
 * `if (!gate.enabled) return fn.call(this, a0, a1, ...)`. Generating it (rather than returning one
 * closure literal) gives every method its own type feedback, so V8 inlines the call: the closure
 * form shares one `fn.apply` site across all traced methods, goes polymorphic, and costs ~5 ns more
 * per call (measured by `npm run bench`). Falls back to the closure where `new Function` is refused
 * (a page with a strict CSP). Missing arguments arrive as undefined, which fills JS defaults alike.
 */
function gateCheck(fn: AnyFn, arity: number, gate: TraceGate, on: AnyFn): AnyFn {
  const ps = Array.from({ length: arity }, (_, i) => `a${i}`).join(', ');
  const call = ps ? `this, ${ps}` : 'this';
  try {
    return new Function('fn', 'gate', 'on', `"use strict"; return function traced(${ps}) { if (!gate.enabled) return fn.call(${call}); return on.call(${call}); };`)(fn, gate, on) as AnyFn;
  } catch {
    return function (this: unknown, ...args: unknown[]) {
      if (!gate.enabled) return fn.apply(this, args);
      return on.apply(this, args);
    };
  }
}

/**
 * Wraps one method. With the gate off the wrapper is a boolean check and a direct call. With it on,
 * time is taken first, in the caller, and the event is published before the call runs (entry-only:
 * it exists even if the call throws).
 */
export function tracedFunction<F extends (...args: never[]) => unknown>(fn: F, spec: MethodSpec, tracer: Tracer): F {
  const { names, defaults } = normalise(spec.params);
  const gate = tracer.gate;
  const f = fn as unknown as AnyFn;
  if (spec.scoped) {
    const enterName = `${spec.qualname}.__enter__`;
    const exitName = `${spec.qualname}.__exit__`;
    const on = function (this: unknown, ...callArgs: unknown[]): Scope<unknown> {
      const args = captureCall(callArgs, defaults);
      const scope = f.apply(this, callArgs) as Scope<unknown>;
      return {
        enter() {
          if (gate.enabled) tracer.publish(event(enterName, names, args));
          return scope.enter();
        },
        exit(error?: unknown) {
          if (gate.enabled) tracer.publish(event(exitName, names, args));
          scope.exit(error);
        },
      };
    };
    return gateCheck(f, names.length, gate, on) as unknown as F;
  }
  const qualname = spec.qualname;
  const on = function (this: unknown, ...callArgs: unknown[]): unknown {
    const t = now();
    tracer.publish({ qualname, tMono: t / 1000, tWall: (performance.timeOrigin + t) / 1000, argNames: names, args: captureCall(callArgs, defaults) });
    return f.apply(this, callArgs);
  };
  return gateCheck(f, names.length, gate, on) as unknown as F;
}

/** Replaces the named methods of `target` (an instance or a prototype) with traced wrappers. */
export function traceMethods<T extends object>(target: T, specs: Partial<Record<keyof T & string, MethodSpec>>, tracer: Tracer): T {
  for (const [name, spec] of Object.entries(specs) as [keyof T & string, MethodSpec][]) {
    const fn = target[name];
    if (typeof fn !== 'function') throw new Error(`cannot trace ${name}: not a method`);
    Object.defineProperty(target, name, {
      value: tracedFunction(fn as (...a: never[]) => unknown, spec, tracer),
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  return target;
}

/** Runs body inside a scope; exit always runs, with the error when the body threw (sync or async). */
export function useScope<T, R>(scope: Scope<T>, body: (value: T) => R): R {
  const value = scope.enter();
  let result: R;
  try {
    result = body(value);
  } catch (e) {
    scope.exit(e ?? new Error('scope body threw'));
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r: unknown) => {
        scope.exit();
        return r;
      },
      (e: unknown) => {
        scope.exit(e ?? new Error('scope body rejected'));
        throw e;
      },
    ) as R;
  }
  scope.exit();
  return result;
}
