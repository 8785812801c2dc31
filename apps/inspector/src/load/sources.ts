import type { RangeSource } from '../model/args-cache.ts';

/** Reads back from a dropped or picked File: `slice` touches only the bytes asked for. */
export function fileRangeSource(file: Blob): RangeSource {
  return {
    async read(start, end) {
      return new Uint8Array(await file.slice(start, end).arrayBuffer());
    },
  };
}

/** Reads back from the server with `Range: bytes=a-b` (inclusive end, RFC 9110). */
export function httpRangeSource(url: string): RangeSource {
  return {
    async read(start, end) {
      const res = await fetch(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
      if (res.status === 200) {
        // A server without Range support sends the whole file: cut what we need out of it.
        const all = new Uint8Array(await res.arrayBuffer());
        return all.subarray(start, end);
      }
      if (res.status !== 206) throw new Error(`HTTP ${res.status}`);
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

/** `/traces/NAME` for a trace listed by the server. */
export const traceUrl = (name: string): string => `/traces/${encodeURIComponent(name)}`;
