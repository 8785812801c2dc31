/** A byte range to send, inclusive, as HTTP Range has it. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Parses a `Range` header for a resource of `size` bytes (RFC 9110 section 14): one range of
 * `bytes=a-b`, `bytes=a-` or `bytes=-n`. Returns null when the header should be ignored (absent,
 * malformed, another unit, several ranges: the whole resource is sent) and 'unsatisfiable' for 416.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return null;
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return null;
  if (a === '') {
    // A suffix longer than any safe integer still means "the whole file" (RFC 9110: the last n bytes).
    const n = Number(b);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  // Digits past 2^53 lose precision as a Number (and 1e23 is not "safe"): a first byte that large
  // is past the end of any file, so it is unsatisfiable, not a malformed header to ignore.
  const start = Number(a);
  if (!Number.isSafeInteger(start)) return 'unsatisfiable';
  // A last byte past the end is clamped to the end (also when it is too large to be exact).
  const end = b === '' ? size - 1 : Number(b);
  if (b !== '' && end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

/**
 * RFC 9110 13.1.5: whether an `If-Range` validator still names these bytes. An entity tag must be
 * strong and equal to the current one; a date must equal Last-Modified exactly (whole seconds).
 */
export function ifRangeMatches(ifRange: string, etag: string, mtime: Date): boolean {
  const v = ifRange.trim();
  if (v.startsWith('"') || v.startsWith('W/')) return v === etag;
  const t = Date.parse(v);
  return Number.isFinite(t) && Math.floor(t / 1000) === Math.floor(mtime.getTime() / 1000);
}
