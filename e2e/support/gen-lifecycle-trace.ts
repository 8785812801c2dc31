/**
 * A small trace with known request outcomes, for the request-flag and follow-a-key specs, made
 * with the one trace builder: 40 keys written (reserve_write → finish_write) then read (submit →
 * enter → exit → finish), in interleaved requests of 4 keys, except:
 * - the reserve_write of LEAKED_WRITE_KEY is never finished: its write lock is undecided (entry-only
 *   records cannot prove a write lock held), call LEAK_CALL;
 * - request LEAKED_READ_REQUEST is read and never released: 4 leaked read locks.
 * Deterministic: the same bytes every run.
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

export function writeLifecycleTrace(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const b = TraceBuilder.file(path, { config: { l1_size_gb: 4, chunk_size: 256 }, tMonoStart: 50, tWallStart: 1776340800.5 });
  const keys = Array.from({ length: 40 }, (_, i) => new ObjectKey(hashOf(i), MODEL, 0x01000100, 0, ''));
  let t = 0;
  const at = (dt = 0.002) => (t += dt);
  // Writes: 10 requests of 4 keys, two in flight at a time (interleaved), one key never finished.
  for (let r = 0; r < 10; r += 2) {
    const a = keys.slice(r * 4, r * 4 + 4), c = keys.slice(r * 4 + 4, r * 4 + 8);
    b.call('reserve_write', at(), { keys: a, layout_desc: LAYOUT, mode: 'new' });
    b.call('reserve_write', at(), { keys: c, layout_desc: LAYOUT, mode: 'new' });
    b.call('finish_write', at(0.004), { keys: a.filter((_, i) => r * 4 + i !== LEAKED_WRITE_KEY) });
    b.call('finish_write', at(0.001), { keys: c.filter((_, i) => r * 4 + 4 + i !== LEAKED_WRITE_KEY) });
  }
  // Reads: 10 requests, each key read once, one request never released.
  for (let r = 0; r < 10; r++) {
    const ks = keys.slice(r * 4, r * 4 + 4);
    b.call('submit_prefetch_task', at(0.01), { keys: ks, layout_desc: LAYOUT, external_request_id: `req-${r}` });
    b.call('read_prefetched_results.__enter__', at(0.003), { keys: ks });
    b.call('read_prefetched_results.__exit__', at(0.001), { keys: ks });
    if (r !== LEAKED_READ_REQUEST) b.call('finish_read_prefetched', at(0.0005), { keys: ks });
  }
  b.close();
}
