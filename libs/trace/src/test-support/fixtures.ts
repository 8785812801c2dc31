import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES_URL = new URL('../../../../../shared/fixtures/lmcache/', import.meta.url);
/**
 * shared/fixtures/lmcache, beside the repository (read-only, written by LMCache's recorder). Under
 * a DOM test environment modules have http: URLs; fixtures are read by Node tests only.
 */
export const LMCACHE_FIXTURES = FIXTURES_URL.protocol === 'file:' ? fileURLToPath(FIXTURES_URL) : FIXTURES_URL.pathname;

export const fixtureBytes = (name: string): Uint8Array => new Uint8Array(readFileSync(LMCACHE_FIXTURES + name));

export const manifest = (): Record<string, Record<string, unknown>> =>
  JSON.parse(readFileSync(LMCACHE_FIXTURES + 'MANIFEST.json', 'utf8')) as Record<string, Record<string, unknown>>;

/** A stream of the given bytes cut into chunks of the given sizes (cycled). */
export function chunkedStream(bytes: Uint8Array, sizes: readonly number[] = [bytes.length || 1]): ReadableStream<Uint8Array> {
  let off = 0;
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (off >= bytes.length) {
        controller.close();
        return;
      }
      const n = Math.max(1, sizes[i++ % sizes.length]!);
      controller.enqueue(bytes.slice(off, off + n));
      off += n;
    },
  });
}

/** Splits a trace file into its frames (prefix offsets and bodies), trusting it is well formed. */
export function splitFrames(bytes: Uint8Array): { offset: number; body: Uint8Array }[] {
  const out: { offset: number; body: Uint8Array }[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o + 4 <= bytes.length) {
    const len = dv.getUint32(o);
    if (o + 4 + len > bytes.length) break;
    out.push({ offset: o, body: bytes.subarray(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}
