import { MemoryLayoutDesc, ObjectKey, TrimPolicy, PrefetchMode, AttnWindowDesc } from '../model.ts';
import { smQualname, SM_METHODS } from '../format/spec.ts';
import type { CallEvent } from '../model.ts';

import { seededRandom } from '../util/random.ts';

export const rng = seededRandom;

export const LAYOUT = new MemoryLayoutDesc([[2, 32, 256, 8, 128]], ['torch.bfloat16']);
const MODELS = ['Qwen/Qwen2.5-7B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct'];

export function makeKey(rand: () => number, model = MODELS[0]!): ObjectKey {
  const h = new Uint8Array(32);
  for (let i = 0; i < 32; i++) h[i] = (rand() * 256) | 0;
  return new ObjectKey(h, model, 0x01000100, 0, '');
}

const WRITE = [smQualname(SM_METHODS.reserveWrite), Object.freeze(['keys', 'layout_desc', 'mode'])] as const;
const PREFETCH = [
  smQualname(SM_METHODS.submitPrefetchTask),
  Object.freeze(['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode']),
] as const;
const ATTN = new AttnWindowDesc([-1]);

/** Workload-shaped call events: `keysPerRecord` ObjectKeys each (16 gives ~2.6 KB records, as LMCache's). */
export function workloadEvents(n: number, keysPerRecord = 16, seed = 1): CallEvent[] {
  const rand = rng(seed);
  const pool = Array.from({ length: 4096 }, () => makeKey(rand, MODELS[(rand() * 2) | 0]));
  const out: CallEvent[] = [];
  for (let i = 0; i < n; i++) {
    const start = (rand() * (pool.length - keysPerRecord)) | 0;
    // Fresh key objects per call, as a server decoding each request makes them: no encode memo is warm.
    const keys = pool.slice(start, start + keysPerRecord).map((k) => new ObjectKey(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt));
    const t = 1000 + i * 0.0001;
    if (i % 2 === 0) out.push({ qualname: WRITE[0], tMono: t, tWall: 1.7e9 + t, argNames: WRITE[1], args: [keys, LAYOUT, 'new'] });
    else
      out.push({
        qualname: PREFETCH[0],
        tMono: t,
        tWall: 1.7e9 + t,
        argNames: PREFETCH[1],
        args: [keys, LAYOUT, 0, `req-${i}`, TrimPolicy.PREFIX, ATTN, false, PrefetchMode.LOOKUP],
      });
  }
  return out;
}
