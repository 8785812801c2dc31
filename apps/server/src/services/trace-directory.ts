import { constants, type Stats } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FRAME_PREFIX_BYTES, headerFacts, parseSegmentName, segmentFileName, TraceHeaderError, TraceReader, type HeaderFacts } from '@kvtrace/trace';
import { HttpError } from '../errors.ts';

/** The recording this process is writing, as the trace routes see it. */
export interface LiveRecording {
  /** Paths of its segments so far, first to current (one unless rotating). */
  segments(): readonly string[];
  /** The segment being written. */
  currentPath(): string;
  /** Bytes of whole frames in the current segment: a reader never gets a partial frame. */
  committedBytes(): number;
  isRecording(): boolean;
  /** Counts for the listing entry of the current segment (records, drops, state). */
  summary(): LiveSummary;
}

export interface LiveSummary {
  records_written: number;
  dropped_total: number;
  state: string;
  problem: string | null;
}


export interface TraceListing {
  name: string;
  size: number;
  mtime: string;
  recording: boolean;
  /** The first segment's file name (the trace's name) and this file's number in it: 0 for NAME.lct, n for NAME.00000n.lct. */
  segment_of: string;
  segment: number;
  /** This server's own recording, kept where --trace-output put it, outside the traces directory. */
  outside_traces_dir: boolean;
  header: HeaderFacts | null;
  error: string | null;
  /** The live recording's counts (on its current segment only). */
  live?: LiveSummary;
}

export interface OpenedTrace {
  name: string;
  path: string;
  handle: FileHandle;
  /** Bytes a reader may take now: the committed prefix of a live recording, else the file size. */
  size: number;
  mtime: Date;
  /** A strong validator of these bytes (file identity, size, mtime) for ETag and If-Range. */
  etag: string;
  live: LiveRecording | null;
}

/** A header larger than this is not one we can summarise (LMCache's are a few hundred bytes). */
const MAX_HEADER_BYTES = 1 << 20;
const TRACE_EXT = '.lct';
// O_NONBLOCK: opening a FIFO for reading would wait for a writer, holding a libuv thread (four of
// them stop every file operation of the process: downloads, L2). O_NOFOLLOW: no symlinks at all.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const notFound = (name: string) => new HttpError(404, `no trace named ${JSON.stringify(name)}`);

/** Bytes [start, end) of an open file as the stream TraceReader takes. */
function rangeStream(handle: FileHandle, start: number, end: number): ReadableStream<Uint8Array> {
  let pos = start;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      const want = Math.min(64 * 1024, end - pos);
      if (want <= 0) return c.close();
      const buf = new Uint8Array(want);
      const { bytesRead } = await handle.read(buf, 0, want, pos);
      if (bytesRead === 0) return c.close();
      pos += bytesRead;
      c.enqueue(bytesRead === want ? buf : buf.subarray(0, bytesRead));
    },
  });
}

/**
 * Opens a regular file without ever blocking: lstat first (a FIFO, socket, device or symlink is
 * refused before any open), then O_NONBLOCK|O_NOFOLLOW, then fstat must name the same regular file.
 */
async function openRegular(path: string): Promise<{ handle: FileHandle; st: Stats } | null> {
  let before: Stats;
  try {
    before = await lstat(path);
  } catch {
    return null;
  }
  if (!before.isFile()) return null;
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch {
    return null;
  }
  const st = await handle.stat().catch(() => null);
  if (st === null || !st.isFile() || st.ino !== before.ino || st.dev !== before.dev) {
    await handle.close();
    return null;
  }
  return { handle, st };
}

/** The header through libs/trace's reader, reading no more than the header frame (or the limit). */
async function readHeader(handle: FileHandle, size: number): Promise<HeaderFacts> {
  const end = Math.min(size, FRAME_PREFIX_BYTES + MAX_HEADER_BYTES);
  const reader = new TraceReader(rangeStream(handle, 0, end));
  try {
    return headerFacts(await reader.header());
  } catch (e) {
    if (e instanceof TraceHeaderError && e.kind === 'truncated_header' && end < size) throw new Error(`the header frame is larger than ${MAX_HEADER_BYTES} bytes`, { cause: e });
    throw e;
  } finally {
    await reader.cancel();
  }
}

/**
 * The traces directory: listing with header summaries, and opening one trace by a name that must
 * stay inside the directory (no separators, no dot names, no symlinks, regular files only). This
 * server's own recording is always listed and served, also when `--trace-output` put it elsewhere.
 */
export class TraceDirectory {
  readonly dir: string;
  /** Aborted when the server starts closing: follow streams finish instead of waiting for more. */
  readonly closing = new AbortController();
  private readonly headerCache = new Map<string, HeaderFacts>();

  constructor(
    dir: string,
    private readonly live: LiveRecording | null,
  ) {
    this.dir = resolve(dir);
  }

  /** The live recording's segments that lie outside the directory, by file name. */
  private outside(): Map<string, string> {
    const out = new Map<string, string>();
    for (const p of this.live?.segments() ?? []) if (resolve(dirname(p)) !== this.dir) out.set(basename(p), resolve(p));
    return out;
  }

  private liveFor(path: string): LiveRecording | null {
    return this.live !== null && this.live.isRecording() && resolve(this.live.currentPath()) === resolve(path) ? this.live : null;
  }

  /** Listing, newest first; `problem` says when the directory itself cannot be read (deleted, say). */
  async list(): Promise<{ dir: string; traces: TraceListing[]; problem: string | null }> {
    const paths = new Map<string, { path: string; outside: boolean }>();
    let problem: string | null = null;
    try {
      for (const d of await readdir(this.dir, { withFileTypes: true }))
        // Regular files only (Dirent.isFile() is false for symlinks and FIFOs), before any open.
        if (d.isFile() && d.name.endsWith(TRACE_EXT) && !d.name.startsWith('.')) paths.set(d.name, { path: join(this.dir, d.name), outside: false });
    } catch (e) {
      problem = `the traces directory ${this.dir} cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
    }
    for (const [name, path] of this.outside()) paths.set(name, { path, outside: true });
    const out: TraceListing[] = [];
    for (const [name, { path, outside }] of paths) {
      const entry = await this.describe(name, path, outside);
      if (entry) out.push(entry);
    }
    out.sort((a, b) => (a.mtime < b.mtime ? 1 : a.mtime > b.mtime ? -1 : a.name < b.name ? 1 : -1));
    return { dir: this.dir, traces: out, problem };
  }

  private async describe(name: string, path: string, outside: boolean): Promise<TraceListing | null> {
    const opened = await openRegular(path);
    if (!opened) return null;
    const { handle, st } = opened;
    try {
      const live = this.liveFor(path);
      const size = live ? Math.min(live.committedBytes(), st.size) : st.size;
      const seg = parseSegmentName(name);
      const entry: TraceListing = {
        name,
        size,
        mtime: st.mtime.toISOString(),
        recording: live !== null,
        segment_of: seg ? segmentFileName(seg.recording, 0) : name,
        segment: seg?.sequence ?? 0,
        outside_traces_dir: outside,
        header: null,
        error: null,
      };
      if (live) entry.live = live.summary();
      // Cached per file identity: a header never changes once written.
      const cacheKey = `${st.dev}:${st.ino}:${name}`;
      entry.header = this.headerCache.get(cacheKey) ?? null;
      if (entry.header === null && size > 0) {
        try {
          entry.header = await readHeader(handle, size);
          this.headerCache.set(cacheKey, entry.header);
        } catch (e) {
          entry.error = (e as Error).message;
        }
      } else if (entry.header === null) entry.error = 'empty file: unexpected EOF reading frame length';
      return entry;
    } finally {
      await handle.close();
    }
  }

  /** Opens a trace by name; 400 for names that try to leave the directory, 404 for anything not there. */
  async open(name: string): Promise<OpenedTrace> {
    checkName(name);
    const path = this.outside().get(name) ?? join(this.dir, name);
    const opened = await openRegular(path);
    if (!opened) throw notFound(name);
    const { handle, st } = opened;
    const live = this.liveFor(path);
    const size = live ? Math.min(live.committedBytes(), st.size) : st.size;
    const etag = `"${st.dev.toString(36)}-${st.ino.toString(36)}-${size.toString(36)}-${Math.floor(st.mtimeMs).toString(36)}"`;
    return { name, path, handle, size, mtime: st.mtime, etag, live };
  }

  /** Whether `path` is still the segment being recorded (a rotation or the end of the recording ends that). */
  isLive(path: string): boolean {
    return this.liveFor(path) !== null;
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > 255) throw new HttpError(400, `a trace name is 1 to 255 characters, got ${name.length}`);
  if (name.includes('/') || name.includes('\\') || name.includes('\0') || isAbsolute(name))
    throw new HttpError(400, `a trace name is a file name in the traces directory, not a path: ${JSON.stringify(name)}`);
  if (name.startsWith('.')) throw new HttpError(400, `a trace name cannot start with a dot: ${JSON.stringify(name)}`);
  if (!name.endsWith(TRACE_EXT)) throw new HttpError(404, `not a trace file (${TRACE_EXT}): ${JSON.stringify(name)}`);
}
