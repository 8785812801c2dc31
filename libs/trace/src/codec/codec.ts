import { concatBytes } from '../util/bytes.ts';
import type { MsgpackWriter } from '../format/msgpack-writer.ts';
import { encodeConstStr } from '../format/msgpack-writer.ts';
import { TAG_KEY, TAG_VALUE_KEY } from '../format/spec.ts';

/** Writes any argument value (plain or tagged); codecs use it for their nested values. */
export type ValueEncoder = (w: MsgpackWriter, value: unknown) => void;

/**
 * One tagged type. `type` is the JS class whose instances it encodes (looked up by constructor, so
 * encoding never walks a list); `accepts` separates codecs sharing a class (the enums).
 * `decode` receives the payload already decoded (nested tagged values included) and throws
 * CodecPayloadError when the payload is not of its shape.
 */
export interface Codec<T = unknown> {
  readonly tag: string;
  readonly type: abstract new (...args: never[]) => T;
  accepts?(value: T): boolean;
  encodePayload(w: MsgpackWriter, value: T, encode: ValueEncoder): void;
  decodePayload(payload: unknown): T;
}

export class CodecPayloadError extends Error {}

/** `{"__t__": tag, "v": ` pre-encoded once per codec. */
export function tagPrefix(tag: string): Uint8Array {
  return concatBytes(new Uint8Array([0x82]), encodeConstStr(TAG_KEY), encodeConstStr(tag), encodeConstStr(TAG_VALUE_KEY));
}

export function payloadMap(payload: unknown, tag: string): Record<string, unknown> {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload) || payload instanceof Uint8Array || payload instanceof Map)
    throw new CodecPayloadError(`${tag} payload must be a map`);
  return payload as Record<string, unknown>;
}

export function field<T>(m: Record<string, unknown>, key: string, tag: string, check: (v: unknown) => v is T, fallback?: T): T {
  const v = m[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (!check(v)) throw new CodecPayloadError(`${tag}.${key} has the wrong type`);
  return v;
}

export const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
export const isNum = (v: unknown): v is number => typeof v === 'number';
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;
export const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
export const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(isInt);

export function intArrayPayload(payload: unknown, tag: string): number[] {
  if (!isIntArray(payload)) throw new CodecPayloadError(`${tag} payload must be an array of ints`);
  return payload;
}

export function writeIntArray(w: MsgpackWriter, items: readonly number[]): void {
  w.arrayHeader(items.length);
  for (const n of items) w.int(n);
}
