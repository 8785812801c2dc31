/**
 * A small trace with known request outcomes, for the request-flag and follow-a-key specs, made
 * with the one trace builder: 40 keys written (reserve_write → finish_write) then read (submit →
 * enter → exit → finish), in interleaved requests of 4 keys, except:
 * - LEAKED_WRITE_KEY is reserved on its own (call LEAK_CALL) and never finished nor read: its write
 *   lock is undecided (entry-only records cannot prove a write lock held, nor that it was refused;
 *   a finish of the rest of a reservation, or a read of the key, would prove it refused);
 * - request LEAKED_READ_REQUEST is read and never released: 4 leaked read locks (LEAKED_READ_CALLS).
 * The call plan is computed here, so the specs take their call numbers from it. Deterministic.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { MemoryLayoutDesc, ObjectKey } from '@kvtrace/trace';
import { TraceBuilder } from '@kvtrace/trace/test-support';

export const LIFECYCLE_TRACE = 'lifecycles-leak.lct';
export const MODEL = 'Qwen/Qwen2.5-7B-Instruct';
/** Hash of key i: byte 0 = 0xa0 + (i >> 4), byte 1 = i, the rest 0x11: distinct, readable prefixes. */
export const keyHashHex = (i: number): string => Array.from(hashOf(i), (b) => b.toString(16).padStart(2, '0')).join('');
function hashOf(i: number): Uint8Array {
  const h = new Uint8Array(32).fill(0x11);
  h[0] = 0xa0 + (i >> 4);
  h[1] = i & 0xff;
  return h;
}
export const LEAKED_WRITE_KEY = 13;
export const LEAKED_READ_REQUEST = 7;

const LAYOUT = new MemoryLayoutDesc([[2, 16, 256, 8, 128]], ['torch.bfloat16']);

type Call = Parameters<TraceBuilder['call']>;

/** The calls of the trace, in order. */
function plan(): Call[] {
  const keys = Array.from({ length: 40 }, (_, i) => new ObjectKey(hashOf(i), MODEL, 0x01000100, 0, ''));
  const leaked = keys[LEAKED_WRITE_KEY]!;
  const calls: Call[] = [];
  let t = 0;
  const at = (dt = 0.002) => (t += dt);
  // Writes: 10 requests of 4 keys, two in flight at a time (interleaved); the leaked key reserved alone.
  for (let r = 0; r < 10; r += 2) {
    const a = keys.slice(r * 4, r * 4 + 4).filter((k) => k !== leaked);
    const c = keys.slice(r * 4 + 4, r * 4 + 8).filter((k) => k !== leaked);
    calls.push(['reserve_write', at(), { keys: a, layout_desc: LAYOUT, mode: 'new' }]);
    calls.push(['reserve_write', at(), { keys: c, layout_desc: LAYOUT, mode: 'new' }]);
    if (a.length < 4 || c.length < 4) calls.push(['reserve_write', at(0.001), { keys: [leaked], layout_desc: LAYOUT, mode: 'new' }]);
    calls.push(['finish_write', at(0.004), { keys: a }]);
    calls.push(['finish_write', at(0.001), { keys: c }]);
  }
  // Reads: 10 requests, each key read once (the leaked one never asked for), one never released.
  for (let r = 0; r < 10; r++) {
    const ks = keys.slice(r * 4, r * 4 + 4).filter((k) => k !== leaked);
    calls.push(['submit_prefetch_task', at(0.01), { keys: ks, layout_desc: LAYOUT, external_request_id: `req-${r}` }]);
    calls.push(['read_prefetched_results.__enter__', at(0.003), { keys: ks }]);
    calls.push(['read_prefetched_results.__exit__', at(0.001), { keys: ks }]);
    if (r !== LEAKED_READ_REQUEST) calls.push(['finish_read_prefetched', at(0.0005), { keys: ks }]);
  }
  return calls;
}

const PLAN = plan();
const keysOf = (c: Call): ObjectKey[] => [...((c[2] as { keys: readonly ObjectKey[] }).keys)];
const indicesWhere = (f: (c: Call) => boolean): number[] => PLAN.flatMap((c, i) => (f(c) ? [i] : []));

/** The reserve_write of LEAKED_WRITE_KEY alone. */
export const LEAK_CALL = indicesWhere((c) => c[0] === 'reserve_write' && keysOf(c).length === 1)[0]!;
/** Submit, enter and exit of the request never released. */
export const LEAKED_READ_CALLS = indicesWhere((c) => c[0] !== 'finish_read_prefetched' && c[0] !== 'reserve_write' && c[0] !== 'finish_write' && (c[2] as { external_request_id?: string }).external_request_id === `req-${LEAKED_READ_REQUEST}`).flatMap((i) => [i, i + 1, i + 2]);
export const RESERVE_CALLS = indicesWhere((c) => c[0] === 'reserve_write').length;
/** Writes touching keys 0-15 (hash prefix a0): all of them, and the reserve_write ones. */
const touchesA0 = (c: Call) => keysOf(c).some((k) => k.chunkHash[0] === 0xa0);
export const A0_WRITE_CALLS = indicesWhere((c) => (c[0] === 'reserve_write' || c[0] === 'finish_write') && touchesA0(c)).length;
export const A0_RESERVE_CALLS = indicesWhere((c) => c[0] === 'reserve_write' && touchesA0(c)).length;

export const CALL_COUNT = PLAN.length;
/** The calls listing key i. */
export const callsOfKey = (i: number): number[] => indicesWhere((c) => keysOf(c).some((k) => k.chunkHash[0] === 0xa0 + (i >> 4) && k.chunkHash[1] === (i & 0xff)));

export function writeLifecycleTrace(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const b = TraceBuilder.file(path, { config: { l1_size_gb: 4, chunk_size: 256 }, tMonoStart: 50, tWallStart: 1776340800.5 });
  for (const c of PLAN) b.call(...c);
  b.close();
}
