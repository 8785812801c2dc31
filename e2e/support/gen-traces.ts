/**
 * Generated traces for the e2e suite and the bench, written with libs/trace's own encoder into a
 * gitignored cache (never committed binaries). Deterministic: the same options give the same bytes,
 * so a cached file is reused when its size matches.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
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
  seededRandom,
  smQualname,
} from '@kvtrace/trace';

export interface GenOptions {
  records: number;
  /** ObjectKeys per record. */
  keys: number;
  /** 1 in `keyEvery` records carries keys; the rest carry an empty list (small records). */
  keyEvery?: number;
  seed?: number;
  /** Only the methods whose arguments are just keys (the smallest records), for row-count tests. */
  small?: boolean;
}

const rng = seededRandom;

const LAYOUT = new MemoryLayoutDesc([[2, 32, 256, 8, 128]], ['torch.bfloat16']);
const MODELS = ['Qwen/Qwen2.5-7B-Instruct', 'meta-llama/Llama-3.1-8B-Instruct'];
const M = {
  reserve: [smQualname(SM_METHODS.reserveWrite), Object.freeze(['keys', 'layout_desc', 'mode'])],
  finish: [smQualname(SM_METHODS.finishWrite), Object.freeze(['keys'])],
  prefetch: [
    smQualname(SM_METHODS.submitPrefetchTask),
    Object.freeze(['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode']),
  ],
  enter: [smQualname(SM_METHODS.readPrefetchedEnter), Object.freeze(['keys'])],
  exit: [smQualname(SM_METHODS.readPrefetchedExit), Object.freeze(['keys'])],
  release: [smQualname(SM_METHODS.finishReadPrefetched), Object.freeze(['keys', 'extra_count'])],
} as const;
const ATTN = new AttnWindowDesc([-1]);

export function generateTrace(path: string, o: GenOptions): void {
  const registry = createDefaultRegistry();
  const rand = rng(o.seed ?? 7);
  const pool = Array.from({ length: 1024 }, () => {
    const h = new Uint8Array(32);
    for (let i = 0; i < 32; i++) h[i] = (rand() * 256) | 0;
    return new ObjectKey(h, MODELS[(rand() * 2) | 0]!, 0x01000100, 0, '');
  });
  const config = encodeConfig({ l1_size_gb: 16, chunk_size: 256, l2: { kind: 'disk', path: '/var/cache/lmcache' } });
  const tWall0 = 1776340800.125;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  const header = encodeHeaderFrame({ level: 'storage', t_mono_start: 1000, t_wall_start: tWall0, sm_config_json: config.json, sm_config_digest: config.digest }, registry);
  writeSync(fd, header);
  const enc = new RecordFrameEncoder(registry);
  const w = new MsgpackWriter(16 * 1024 * 1024);
  const every = o.keyEvery ?? 1;
  const empty: ObjectKey[] = [];
  for (let i = 0; i < o.records; i++) {
    let keys = empty;
    if (i % every === 0) {
      const s = (rand() * (pool.length - o.keys)) | 0;
      keys = pool.slice(s, s + o.keys);
    }
    const t = i * 0.0001;
    switch (o.small ? [1, 3, 4, 5][i % 4] : i % 6) {
      case 0:
        enc.append(w, t, tWall0 + t, M.reserve[0], M.reserve[1], [keys, LAYOUT, 'new']);
        break;
      case 1:
        enc.append(w, t, tWall0 + t, M.finish[0], M.finish[1], [keys]);
        break;
      case 2:
        enc.append(w, t, tWall0 + t, M.prefetch[0], M.prefetch[1], [keys, LAYOUT, 0, `req-${i}`, TrimPolicy.PREFIX, ATTN, false, PrefetchMode.LOOKUP]);
        break;
      case 3:
        enc.append(w, t, tWall0 + t, M.enter[0], M.enter[1], [keys]);
        break;
      case 4:
        enc.append(w, t, tWall0 + t, M.exit[0], M.exit[1], [keys]);
        break;
      default:
        enc.append(w, t, tWall0 + t, M.release[0], M.release[1], [keys, 0]);
    }
    if (w.pos > 8 * 1024 * 1024) {
      writeSync(fd, w.bytes());
      w.reset();
    }
  }
  writeSync(fd, w.bytes());
  closeSync(fd);
  renameSync(tmp, path);
}

/** Generates unless a file of plausible size from an earlier run is there. */
export function ensureTrace(path: string, o: GenOptions): { path: string; generated: boolean } {
  if (existsSync(path) && statSync(path).size > o.records * 20) return { path, generated: false };
  generateTrace(path, o);
  return { path, generated: true };
}
