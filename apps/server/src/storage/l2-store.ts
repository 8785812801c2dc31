import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureWritableDir } from '../ensure-dir.ts';

/** Bounds concurrent file operations (LMCache's prefetch workers). */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

interface DiskEntry {
  file: string;
  size: number;
}

export interface L2Stats {
  objects: number;
  bytes: number;
  pendingWrites: number;
  pendingBytes: number;
  writesSkipped: number;
  writeErrors: number;
  evictions: number;
}

/**
 * The on-disk L2: one file per object in a directory of its own (`<parent>/l2-<pid>-<random>`,
 * removed on close), so concurrent servers and replays never see each other's objects and a
 * restarted server starts from an empty L2, as the trace's config describes. Writes go to a
 * temporary name and are renamed, so a reader never sees a half-written object. An object whose
 * write is still queued is served from memory.
 */
export class FsL2Store {
  readonly dir: string;
  private readonly index = new Map<string, DiskEntry>();
  private readonly pending = new Map<string, { data: Uint8Array; done: Promise<void> }>();
  /** Reads and writes queue apart: a prefetch never waits behind a backlog of background writes. */
  private readonly reads: Semaphore;
  private readonly writes: Semaphore;
  private bytes = 0;
  private pendingBytes = 0;
  private seq = 0;
  private closed = false;
  readonly counters = { writesSkipped: 0, writeErrors: 0, evictions: 0 };

  constructor(
    parent: string,
    private readonly capacityBytes: number,
    workers: number,
    private readonly maxPendingBytes: number,
  ) {
    ensureWritableDir(parent, '--l2-dir');
    this.dir = join(parent, `l2-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir);
    this.reads = new Semaphore(workers);
    this.writes = new Semaphore(workers);
  }

  has(id: string): boolean {
    return this.pending.has(id) || this.index.has(id);
  }

  sizeOf(id: string): number | undefined {
    return this.pending.get(id)?.data.length ?? this.index.get(id)?.size;
  }

  stats(): L2Stats {
    return {
      objects: this.index.size,
      bytes: this.bytes,
      pendingWrites: this.pending.size,
      pendingBytes: this.pendingBytes,
      ...this.counters,
    };
  }

  /** Queues a write; false (counted) when the queue holds too many bytes or the store is closed. */
  put(id: string, data: Uint8Array): boolean {
    if (this.closed || data.length > this.capacityBytes) return false;
    const prev = this.pending.get(id);
    if (this.pendingBytes + data.length > this.maxPendingBytes) {
      this.counters.writesSkipped++;
      return false;
    }
    // Writes of one key are chained, so an older version never lands after a newer one.
    const after = prev?.done ?? Promise.resolve();
    this.pendingBytes += data.length;
    const entry = { data, done: Promise.resolve() };
    entry.done = after.then(() => this.writes.run(() => this.writeFile(id, data))).then(
      () => this.settle(id, entry),
      () => {
        this.counters.writeErrors++;
        this.settle(id, entry);
      },
    );
    this.pending.set(id, entry);
    return true;
  }

  /** The object's bytes, or null when it is not (or no longer) in L2. */
  async load(id: string): Promise<Uint8Array | null> {
    const p = this.pending.get(id);
    if (p) return p.data;
    const e = this.index.get(id);
    if (!e) return null;
    // Reads refresh recency: L2 evicts the least recently used file.
    this.index.delete(id);
    this.index.set(id, e);
    try {
      const buf = await this.reads.run(() => readFile(e.file));
      return buf.length === e.size ? new Uint8Array(buf.buffer, buf.byteOffset, buf.length) : null;
    } catch {
      return null;
    }
  }

  /** Waits for queued writes. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending.values()].map((p) => p.done));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    this.index.clear();
    this.bytes = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }

  private settle(id: string, entry: { data: Uint8Array }): void {
    if (this.pending.get(id) === entry) this.pending.delete(id);
    this.pendingBytes -= entry.data.length;
  }

  private async writeFile(id: string, data: Uint8Array): Promise<void> {
    const file = join(this.dir, createHash('sha256').update(id).digest('hex') + '.kv');
    const tmp = `${file}.tmp-${this.seq++}`;
    await writeFile(tmp, data);
    await rename(tmp, file);
    const old = this.index.get(id);
    if (old) {
      this.bytes -= old.size;
      this.index.delete(id);
    }
    this.index.set(id, { file, size: data.length });
    this.bytes += data.length;
    this.evictOver(id);
  }

  private evictOver(keep: string): void {
    for (const [id, e] of this.index) {
      if (this.bytes <= this.capacityBytes) break;
      if (id === keep) continue;
      this.index.delete(id);
      this.bytes -= e.size;
      this.counters.evictions++;
      unlink(e.file).catch(() => undefined);
    }
  }
}
