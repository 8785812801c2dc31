/** Helpers for the server's tests: temp dirs and an app built on them, closed after each test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from './app.ts';
import type { StorageConfig } from './storage/index.ts';

export const GIB = 2 ** 30;
/** 1 KiB objects. */
export const LAYOUT_JSON = { shapes: [[1, 512]], dtypes: ['torch.float16'] };

export function tempDir(prefix = 'kvtrace-server-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface Built {
  app: FastifyInstance;
  dir: string;
  tracesDir: string;
  close(): Promise<void>;
}

/** Builds an app in a fresh temp dir (L2 and traces inside it); close() closes it and removes the dir. */
export async function build(
  opts: { objects?: number; l2?: boolean; trace?: boolean | string; queueSize?: number; maxSegmentBytes?: number; storage?: Partial<StorageConfig>; app?: Partial<AppOptions> } = {},
): Promise<Built> {
  const dir = tempDir();
  const tracesDir = join(dir.path, 'traces');
  const storage: StorageConfig = {
    l1SizeGb: ((opts.objects ?? 64) * 1024) / GIB,
    evictionPolicy: 'LRU',
    l2Dir: opts.l2 ? join(dir.path, 'l2') : null,
    l2SizeGb: 1,
    l2Workers: 2,
    l2MaxPendingBytes: 64 << 20,
    ...opts.storage,
  };
  const traceName = typeof opts.trace === 'string' ? opts.trace : 'test.lct';
  const app = await buildApp({
    storage,
    tracesDir,
    tracing: opts.trace ? { path: join(tracesDir, traceName), queueSize: opts.queueSize, maxSegmentBytes: opts.maxSegmentBytes } : null,
    inspectorDist: join(dir.path, 'no-inspector'),
    ...opts.app,
  });
  let closed = false;
  return {
    app,
    dir: dir.path,
    tracesDir,
    close: async () => {
      if (!closed) await app.close();
      closed = true;
      dir.remove();
    },
  };
}

export const hexKey = (n: number, model = 'm') => ({ chunk_hash: n.toString(16).padStart(4, '0'), model_name: model });
