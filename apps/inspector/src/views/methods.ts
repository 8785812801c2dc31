import { SM_METHODS, shortMethodName } from '@kvtrace/trace';

/**
 * A fixed hue per storage-manager method, so a colour means the same call in every trace; unknown
 * methods get a hue from their name. Lightness comes from the theme (CSS `--method-l`).
 */
const HUES: Record<string, number> = {
  [SM_METHODS.reserveWrite]: 28,
  [SM_METHODS.finishWrite]: 45,
  [SM_METHODS.submitPrefetchTask]: 212,
  [SM_METHODS.readPrefetchedEnter]: 160,
  [SM_METHODS.readPrefetchedExit]: 268,
  [SM_METHODS.finishReadPrefetched]: 335,
};

export function methodHue(qualname: string): number {
  const short = shortMethodName(qualname);
  const h = HUES[short];
  if (h !== undefined) return h;
  let x = 0;
  for (let i = 0; i < short.length; i++) x = (x * 31 + short.charCodeAt(i)) >>> 0;
  return (x % 36) * 10;
}

/** A short label for narrow places (timeline lanes, side tables): the context manager's name shortened. */
export function compactMethodName(qualname: string): string {
  return shortMethodName(qualname).replace('read_prefetched_results.', 'read_prefetched.');
}
