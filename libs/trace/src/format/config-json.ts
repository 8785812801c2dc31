import { sha256Hex } from '../util/sha256.ts';

/** A number that must be written as a Python float (`8.0`, not `8`): JS cannot tell them apart. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type ConfigValue = string | number | bigint | boolean | null | PyFloat | ConfigValue[] | { [k: string]: ConfigValue };

/**
 * `json.dumps(config, sort_keys=True)` exactly as Python writes it (", " and ": " separators,
 * ASCII-only with \uXXXX escapes, Python float repr), so a digest computed by LMCache for the same
 * config matches ours.
 */
export function pythonJsonDumps(v: ConfigValue): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return pyString(v);
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : pyFloatRepr(v);
  if (v instanceof PyFloat) return pyFloatRepr(v.value);
  if (typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(pythonJsonDumps).join(', ')}]`;
  const proto: unknown = typeof v === 'object' ? Object.getPrototypeOf(v) : undefined;
  if (proto !== Object.prototype && proto !== null) throw new TypeError(`config value of type ${typeof v} is not JSON-serialisable`);
  const keys = Object.keys(v).sort(comparePyStr);
  return `{${keys.map((k) => `${pyString(k)}: ${pythonJsonDumps(v[k]!)}`).join(', ')}}`;
}

/** Python sorts str by code point; JS sort compares UTF-16 units (differs only past the BMP). */
function comparePyStr(a: string, b: string): number {
  const ca = [...a].map((c) => c.codePointAt(0)!);
  const cb = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! - cb[i]!;
  return ca.length - cb.length;
}

function pyString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out + '"';
}

/** Python's float repr: shortest round-trip digits, exponent form when exp < -4 or >= 16. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expStr] = x.toExponential().split('e') as [string, string];
  const exp = Number(expStr);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp < 0) {
    body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else if (digits.length <= exp + 1) {
    body = `${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  } else {
    body = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
  }
  return neg ? `-${body}` : body;
}

export interface EncodedConfig {
  json: string;
  digest: string;
}

export function encodeConfig(config: ConfigValue): EncodedConfig {
  const json = pythonJsonDumps(config);
  return { json, digest: sha256Hex(json) };
}

/** Empty config with empty digest is valid (a recorder closed without a config). */
export function digestMatches(json: string, digest: string): boolean {
  if (json === '' && digest === '') return true;
  return sha256Hex(json) === digest.toLowerCase();
}
