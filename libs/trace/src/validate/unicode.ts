import type { Violation } from './violation.ts';

// Without the `u` flag the pattern sees UTF-16 code units: a high surrogate not followed by a low
// one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string that is not valid Unicode (a lone surrogate, which JSON's `\ud800` escapes can carry)
 * has no UTF-8 form: msgpack writers replace it with U+FFFD, so `"m\ud800"` and `"m\udc00"`, two
 * objects in the server, would be recorded as the same `"m\ufffd"`; LMCache's Python cannot even
 * encode it. Such strings are refused, never recorded.
 */
export function unicodeViolation(s: string, path: string): Violation | null {
  const m = LONE_SURROGATE.exec(s);
  if (m === null) return null;
  const unit = s.charCodeAt(m.index).toString(16);
  return { path, rule: `is not valid Unicode: a lone surrogate \\u${unit} at index ${m.index} (it cannot be recorded as UTF-8 without changing it)` };
}
