/**
 * Worker -> UI hand-off of query results. Transferring moves the buffer instead of copying it, so
 * the array must own its whole buffer (filter() and callsOfKey() results do; a subarray view of a
 * bigger buffer would move, and detach, the rest of it).
 */
export function transferable<T extends Uint32Array | Int32Array | Uint8Array | Float64Array>(a: T): { value: T; transfer: ArrayBuffer[] } {
  const owns = a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer;
  const value = owns ? a : (a.slice() as T);
  return { value, transfer: [value.buffer as ArrayBuffer] };
}
