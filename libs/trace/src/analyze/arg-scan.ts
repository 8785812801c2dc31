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
import { KeyShape, LockOpt } from './types.ts';

/** Argument text kept per call for "any text" search; longer text is cut (keys are indexed apart). */
export const MAX_CALL_TEXT = 512;
const MAX_DEPTH = 8;
const MAX_STR = 200;
const MAX_BYTES = 32;

/**
 * One pass over a call's decoded arguments: every ObjectKey (at any depth) goes to `onKey`, the
 * external_request_id is taken apart, and the rest becomes a short text (`name=value ...`). Keys
 * are left out of the text on purpose: they are indexed by id and hash, and a 28-key call would
 * otherwise carry ~2 KB of hex per call. One scanner is reused for every call (no per-call objects
 * besides the text string).
 */
export class ArgScanner {
  text = '';
  erid = '';
  shape: KeyShape = KeyShape.none;
  /** `extra_count` of a prefetch or release (0 when absent): each lock is taken 1 + extra_count times. */
  extra = 0;
  /** LockOpt bits: a policy other than PREFIX, a WARM prefetch (which takes no locks). */
  opts = 0;
  /** The call's text parts: the first `nParts` (never emptied by `length = 0`, see IndexArgsScanner). */
  private parts: string[] = [];
  private nParts = 0;
  private len = 0;
  private prefix = '';

  scan(methodName: string, args: Record<string, unknown>, onKey: (k: ObjectKey) => void): void {
    this.begin(methodName);
    for (const name in args) this.arg(name, args[name], onKey);
    this.end();
  }

  /** scan() in steps, for arguments that arrive one by one (an IndexArgsSink): begin, arg/keyList..., end. */
  begin(methodName: string): void {
    this.nParts = 0;
    this.len = 0;
    this.erid = '';
    this.shape = KeyShape.none;
    this.extra = 0;
    this.opts = 0;
    this.push(methodName);
  }

  arg(name: string, v: unknown, onKey: (k: ObjectKey) => void): void {
    if (name === 'external_request_id' && typeof v === 'string') {
      this.erid = v;
      return;
    }
    if (name === 'keys' && isCollection(v)) this.shape = KeyShape.keys;
    else if (name === 'spec' && v instanceof PrefetchRequestSpec && this.shape === KeyShape.none) {
      this.shape = KeyShape.spec;
      this.lockArgs(v.extraCount, v.policy, v.mode);
    } else if (name === 'extra_count' && typeof v === 'number') this.lockArgs(v, null, null);
    else if (name === 'policy' && v instanceof EnumMember) this.lockArgs(null, v, null);
    else if (name === 'mode' && v instanceof EnumMember) this.lockArgs(null, null, v);
    // The name is glued to the first value pushed after it (`name=value`); a key list pushes none.
    this.prefix = name;
    this.visit(v, onKey, 0);
    this.prefix = '';
  }

  /** The arguments that decide how many read locks a prefetch takes and a release gives back. */
  private lockArgs(extra: number | null, policy: EnumMember | null, mode: EnumMember | null): void {
    if (extra !== null && Number.isInteger(extra) && extra >= 0) this.extra = extra;
    if (policy !== null && policy.name !== 'PREFIX') this.opts |= LockOpt.notPrefix;
    if (mode !== null && mode.enumName === 'PrefetchMode' && mode.name === 'WARM') this.opts |= LockOpt.warm;
  }

  /** An argument that is a list (array or tuple) of ObjectKeys, whose keys the caller indexes itself: arg() minus the keys. */
  keyList(name: string): void {
    if (name === 'keys') this.shape = KeyShape.keys;
  }

  end(): void {
    let t = this.nParts > 0 ? this.parts[0]! : '';
    for (let i = 1; i < this.nParts; i++) t += ' ' + this.parts[i]!;
    this.text = t;
  }

  private push(s: string): void {
    if (this.len >= MAX_CALL_TEXT) return;
    if (this.prefix !== '') {
      // Concatenated only when a value follows: a key list (the common argument) allocates nothing.
      s = this.prefix + '=' + s;
      this.prefix = '';
    }
    this.parts[this.nParts++] = s;
    this.len += s.length + 1;
  }

  private visit(v: unknown, onKey: (k: ObjectKey) => void, depth: number): void {
    if (depth > MAX_DEPTH) return;
    switch (typeof v) {
      case 'string':
        return this.push(v.length > MAX_STR ? v.slice(0, MAX_STR) : v);
      case 'number':
      case 'boolean':
      case 'bigint':
        return this.push(String(v));
      case 'undefined':
        return;
      case 'object':
        break;
      default:
        return;
    }
    if (v === null) return this.push('null');
    if (v instanceof ObjectKey) return onKey(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) this.visit(v[i], onKey, depth + 1);
      return;
    }
    if (v instanceof Uint8Array) return this.push(toHex(v.length > MAX_BYTES ? v.subarray(0, MAX_BYTES) : v));
    if (v instanceof EnumMember) return this.push(v.name);
    if (v instanceof Tuple) return this.visit(v.items, onKey, depth + 1);
    if (v instanceof Set) {
      for (const item of v) this.visit(item, onKey, depth + 1);
      return;
    }
    if (v instanceof PrefetchRequestSpec) {
      this.visit(v.keys, onKey, depth + 1);
      this.push(`extra_count=${v.extraCount}`);
      this.push(v.policy.name);
      this.push(v.mode.name);
      this.visit(v.layoutDesc, onKey, depth + 1);
      return;
    }
    if (v instanceof MemoryLayoutDesc) {
      for (let i = 0; i < v.shapes.length; i++) this.push(`${v.dtypes[i] ?? '?'}[${v.shapes[i]!.join(',')}]`);
      return;
    }
    if (v instanceof PrefetchHandle) {
      if (this.erid === '') this.erid = v.externalRequestId;
      return this.push(`prefetch_request_id=${v.prefetchRequestId}`);
    }
    if (v instanceof TorchSize) return this.push(`[${v.dims.join(',')}]`);
    if (v instanceof TorchDtype) return this.push(v.name);
    if (v instanceof AttnWindowDesc) return this.push(`[${v.windows.join(',')}]`);
    if (v instanceof RawTagged) {
      this.push(v.tag);
      return this.visit(v.payload, onKey, depth + 1);
    }
    if (v instanceof Map) {
      for (const [k, item] of v) {
        this.prefix = String(k);
        this.visit(item, onKey, depth + 1);
        this.prefix = '';
      }
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      for (const [k, item] of Object.entries(v)) {
        this.prefix = k;
        this.visit(item, onKey, depth + 1);
        this.prefix = '';
      }
    }
  }
}

function isCollection(v: unknown): boolean {
  return Array.isArray(v) || v instanceof Tuple || v instanceof Set;
}
