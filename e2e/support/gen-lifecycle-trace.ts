/**
 * A small trace made to contain known lifecycle problems, for the flag and follow-a-key specs:
 * 40 keys written (reserve_write → finish_write) then read (prefetch → enter → exit → finish), in
 * interleaved requests of 4 keys, except:
 * - the reserve_write of LEAKED_WRITE_KEY is never finished (one leaked write lock, call LEAK_CALL),
 * - request 7's prefetch is never released (4 leaked read locks).
 * Deterministic: the same bytes every run.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AttnWindowDesc,
  MemoryLayoutDesc,
  MsgpackWriter,
  ObjectKey,
  PrefetchMode,
  RecordFrameEncoder,
  SM_METHODS,
  TrimPolicy,
  createDefaultRegistry,
  encodeConfig,
  encodeHeaderFrame,
  smQualname,
} from '@kvtrace/trace';

export const LIFECYCLE_TRACE = 'lifecycles-leak.lct';
export const MODEL = 'Qwen/Qwen2.5-7B-Instruct';
/** Hash of key i: byte 0 = 0xa0 + (i >> 4), byte 1 = i, the rest 0x11: distinct, readable prefixes. */
export const keyHashHex = (i: number): string => {
  const h = hashOf(i);
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
};
function hashOf(i: number): Uint8Array {
  const h = new Uint8Array(32).fill(0x11);
  h[0] = 0xa0 + (i >> 4);
  h[1] = i & 0xff;
  return h;
}
export const LEAKED_WRITE_KEY = 13;
export const LEAKED_READ_REQUEST = 7;

const LAYOUT = new MemoryLayoutDesc([[2, 16, 256, 8, 128]], ['torch.bfloat16']);
const ATTN = new AttnWindowDesc([-1]);
const Q = {
  reserve: [smQualname(SM_METHODS.reserveWrite), ['keys', 'layout_desc', 'mode']],
  finish: [smQualname(SM_METHODS.finishWrite), ['keys']],
  prefetch: [smQualname(SM_METHODS.submitPrefetchTask), ['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode']],
  enter: [smQualname(SM_METHODS.readPrefetchedEnter), ['keys']],
  exit: [smQualname(SM_METHODS.readPrefetchedExit), ['keys']],
  release: [smQualname(SM_METHODS.finishReadPrefetched), ['keys', 'extra_count']],
} as const;

export function writeLifecycleTrace(path: string): void {
  const registry = createDefaultRegistry();
  const config = encodeConfig({ l1_size_gb: 4, chunk_size: 256 });
  const tWall0 = 1776340800.5;
  const keys = Array.from({ length: 40 }, (_, i) => new ObjectKey(hashOf(i), MODEL, 0x01000100, 0, ''));
  const enc = new RecordFrameEncoder(registry);
  const w = new MsgpackWriter(1 << 20);
  let t = 0;
  const call = (q: readonly [string, readonly string[]], args: unknown[], dt = 0.002) => {
    t += dt;
    enc.append(w, t, tWall0 + t, q[0], q[1], args);
  };
  // Writes: 10 requests of 4 keys, two in flight at a time (interleaved), one key never finished.
  for (let r = 0; r < 10; r += 2) {
    const a = keys.slice(r * 4, r * 4 + 4), b = keys.slice(r * 4 + 4, r * 4 + 8);
    call(Q.reserve, [a, LAYOUT, 'new']);
    call(Q.reserve, [b, LAYOUT, 'new']);
    call(Q.finish, [a.filter((_, i) => r * 4 + i !== LEAKED_WRITE_KEY)], 0.004);
    call(Q.finish, [b.filter((_, i) => r * 4 + 4 + i !== LEAKED_WRITE_KEY)], 0.001);
  }
  // Reads: 10 requests, each key read once, request 7 never released.
  for (let r = 0; r < 10; r++) {
    const ks = keys.slice(r * 4, r * 4 + 4);
    call(Q.prefetch, [ks, LAYOUT, 0, `req-${r}`, TrimPolicy.PREFIX, ATTN, false, PrefetchMode.LOOKUP], 0.01);
    call(Q.enter, [ks], 0.003);
    call(Q.exit, [ks], 0.001);
    if (r !== LEAKED_READ_REQUEST) call(Q.release, [ks, 0], 0.0005);
  }
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  writeSync(fd, encodeHeaderFrame({ level: 'storage', t_mono_start: 50, t_wall_start: tWall0, sm_config_json: config.json, sm_config_digest: config.digest }, registry));
  writeSync(fd, w.bytes());
  closeSync(fd);
}
