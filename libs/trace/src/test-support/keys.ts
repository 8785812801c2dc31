/** Deterministic ObjectKeys and layouts for generated traces. */
import { MemoryLayoutDesc, ObjectKey, packKvRank } from '../model.ts';
import { seededRandom } from '../util/random.ts';

/** The models generated traffic spreads its documents over. */
export const TEST_MODELS: readonly string[] = Object.freeze(['Qwen/Qwen2.5-7B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct']);

/** Rank 0 of a world of 1 (LMCache packs world, global rank, local world, local rank in kv_rank). */
export const TEST_KV_RANK = packKvRank({ world: 1, globalRank: 0, localWorld: 1, localRank: 0 });

/** One chunk of a 32-layer model as LMCache stores it: [K/V, layers, tokens, heads, head dim], 32 MiB. */
export const CHUNK_LAYOUT = new MemoryLayoutDesc([[2, 32, 256, 8, 128]], ['torch.bfloat16']);

/**
 * Key n: its hash starts with n as a big-endian u32, then a fixed pattern, so hex prefixes are
 * predictable in tests (`testKey(1).hashHex` starts with `00000001`).
 */
export function testKey(n: number, model = 'test/model', salt = ''): ObjectKey {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, n >>> 0);
  for (let i = 4; i < 32; i++) h[i] = (i * 37 + n) & 0xff;
  return new ObjectKey(h, model, TEST_KV_RANK, 0, salt, true);
}

/** A 32-byte hash drawn from `rand`. */
export function randomHash(rand: () => number): Uint8Array {
  const h = new Uint8Array(32);
  for (let i = 0; i < 32; i += 4) {
    const v = (rand() * 2 ** 32) >>> 0;
    h[i] = v >>> 24;
    h[i + 1] = (v >>> 16) & 0xff;
    h[i + 2] = (v >>> 8) & 0xff;
    h[i + 3] = v & 0xff;
  }
  return h;
}

/** `n` keys with random hashes from `seed`, for a model. */
export function randomKeys(n: number, seed: number, model = TEST_MODELS[0]!): ObjectKey[] {
  const rand = seededRandom(seed);
  return Array.from({ length: n }, () => new ObjectKey(randomHash(rand), model, TEST_KV_RANK, 0, '', true));
}

/**
 * A copy of each key (same fields, new objects), as a server decoding each request makes them: a
 * benchmark fed copies meets no memo an earlier call warmed (ObjectKey memoises its hex and id).
 */
export function freshCopies(keys: readonly ObjectKey[]): ObjectKey[] {
  return keys.map((k) => new ObjectKey(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt));
}
