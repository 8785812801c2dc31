import { argsToJson as recordArgsToJson, toJsonValue, type JsonValue } from '@kvtrace/trace';

/** Decoded values as JSON: the one conversion of libs/trace/analyze (bytes as hex, LMCache field names). */
export type Json = JsonValue;
export const toJson = toJsonValue;

/** A record's arguments as JSON, or the reason they could not be decoded. */
export function argsToJson(args: () => Record<string, unknown>): { args: Json; error: string | null } {
  try {
    return { args: recordArgsToJson(args()), error: null };
  } catch (e) {
    return { args: null, error: (e as Error).message };
  }
}
