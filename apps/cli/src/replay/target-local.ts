import { encodeConfig, type MemoryLayoutDesc, type ObjectKey, type Scope } from '@kvtrace/trace';
import { createStorageManager, storageConfigJson, type PrefetchedResults, type StorageConfig, type StorageManager } from '@kvtrace/server/storage';
import type { PrefetchCall, ReadToken, ReplayTarget, TargetStats, WriteMode } from './target.ts';

/** Default cap on the bytes written per reserved object (see README: workload layouts are 32 MB). */
export const DEFAULT_MAX_OBJECT_BYTES = 4 * 2 ** 20;

interface LocalReadToken extends ReadToken {
  scope: Scope<PrefetchedResults>;
}

/**
 * An in-process storage manager built from a config. The data path writes the layout's size from
 * one zero-filled buffer per size (reused: the manager copies what it keeps), for objects up to
 * maxObjectBytes; a larger object is reserved and finished without its bytes, and the manager
 * materialises it (zeros) only when it is read or pushed to L2.
 */
export class LocalTarget implements ReplayTarget {
  readonly description: string;
  readonly configJson: string;
  readonly hasL2: boolean;
  /** Only prepareRead is asynchronous (waiting for L2 loads): other requests go on meanwhile. */
  readonly overlapsWaits = true;
  private readonly sm: StorageManager;
  private readonly buffers = new Map<number, Uint8Array>();
  /** Outstanding prefetch waits by key id: a read of the key waits for its L2 load first. */
  private readonly waits = new Map<string, Promise<void>>();
  private closed = false;

  constructor(
    readonly config: StorageConfig,
    private readonly maxObjectBytes = DEFAULT_MAX_OBJECT_BYTES,
  ) {
    this.sm = createStorageManager(config);
    this.hasL2 = config.l2Dir !== null;
    this.configJson = encodeConfig(storageConfigJson(config)).json;
    this.description = `in-process storage manager (L1 ${config.l1SizeGb} GiB ${config.evictionPolicy}, L2 ${config.l2Dir === null ? 'off' : `${config.l2SizeGb} GiB in ${config.l2Dir}`})`;
  }

  reserveWrite(keys: readonly ObjectKey[], layout: MemoryLayoutDesc, mode: WriteMode): readonly string[] {
    return this.sm.reserveWrite(keys, layout, mode);
  }

  writeData(keys: readonly ObjectKey[], outcomes: readonly string[], layout: MemoryLayoutDesc): number {
    const size = layout.byteSize;
    if (size > this.maxObjectBytes) return 0;
    let buf = this.buffers.get(size);
    if (!buf) {
      buf = new Uint8Array(size);
      this.buffers.set(size, buf);
    }
    let bytes = 0;
    for (let i = 0; i < keys.length; i++) {
      if (outcomes[i] !== 'reserved') continue;
      this.sm.writeData(keys[i]!, buf);
      bytes += size;
    }
    return bytes;
  }

  finishWrite(keys: readonly ObjectKey[]): unknown {
    return this.sm.finishWrite(keys);
  }

  submitPrefetchTask(c: PrefetchCall): unknown {
    const handle = this.sm.submitPrefetchTask(c.keys, c.layoutDesc, c.extraCount, c.externalRequestId, c.policy, c.attnDesc, c.skipL2, c.mode);
    if (handle.prefetchRequestId !== -1) {
      const done = this.sm.waitPrefetch(handle);
      for (const i of handle.l2OrigIndices) this.waits.set(c.keys[i]!.id, done);
    }
    return handle;
  }

  prepareRead(keys: readonly ObjectKey[]): Promise<void> | void {
    if (this.waits.size === 0) return;
    const pending = new Set<Promise<void>>();
    for (const k of keys) {
      const w = this.waits.get(k.id);
      if (w) {
        pending.add(w);
        this.waits.delete(k.id);
      }
    }
    if (pending.size > 0) return Promise.all(pending).then(() => undefined);
  }

  readEnter(keys: readonly ObjectKey[]): LocalReadToken {
    const scope = this.sm.readPrefetchedResults(keys);
    const results = scope.enter();
    let found = 0;
    for (const r of results) if (r !== null) found++;
    return { scope, found, requested: keys.length };
  }

  readExit(token: ReadToken): void {
    (token as LocalReadToken).scope.exit();
  }

  finishReadPrefetched(keys: readonly ObjectKey[], extraCount: number): void {
    this.sm.finishReadPrefetched(keys, extraCount);
  }

  async finish(): Promise<TargetStats> {
    await this.close();
    const s = this.sm.stats();
    return { ...s };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.sm.close();
  }
}
