import { constants, type Dirent } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FRAME_PREFIX_BYTES, parseHeader, TraceHeaderError, type TraceHeader } from '@kvtrace/trace';
import { HttpError } from '../errors.ts';

/** The recording this process is writing, as the trace routes see it. */
export interface LiveRecording {
  path: string;
  /** Bytes written so far: always a frame boundary, since the recorder writes whole frames. */
  committedBytes(): number;
  isRecording(): boolean;
}

export interface TraceHeaderSummary {
  level: string;
  format_version: number;
  trace_schema_version: number;
  t_wall_start: number;
  sm_config_digest: string;
  digest_valid: boolean;
}

export interface TraceListing {
  name: string;
  size: number;
  mtime: string;
  recording: boolean;
  header: TraceHeaderSummary | null;
  error: string | null;
}

export interface OpenedTrace {
  name: string;
  handle: FileHandle;
  /** Bytes a reader may take now: the committed prefix of a live recording, else the file size. */
  size: number;
  mtime: Date;
  live: LiveRecording | null;
}

/** A header larger than this is not one we can summarise (LMCache's are a few hundred bytes). */
const MAX_HEADER_BYTES = 1 << 20;
const TRACE_EXT = '.lct';

/**
 * The traces directory: listing with header summaries, and opening one trace by a name that must
 * stay inside the directory (no separators, no dot names, no symlink leading out).
 */
export class TraceDirectory {
  readonly dir: string;
  /** Aborted when the server starts closing: follow streams finish instead of waiting for more. */
  readonly closing = new AbortController();
  private readonly headerCache = new Map<string, TraceHeaderSummary>();

  constructor(
    dir: string,
    private readonly live: LiveRecording | null,
  ) {
    this.dir = resolve(dir);
  }

  liveFor(path: string): LiveRecording | null {
    return this.live !== null && resolve(this.live.path) === resolve(path) ? this.live : null;
  }

  async list(): Promise<TraceListing[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: TraceListing[] = [];
    for (const d of entries) {
      // Dirent.isFile() is false for symlinks: the listing shows only real files of the directory.
      if (!d.isFile() || !d.name.endsWith(TRACE_EXT)) continue;
      const path = join(this.dir, d.name);
      let st;
      try {
        st = await stat(path);
      } catch {
        continue;
      }
      const live = this.liveFor(path);
      const recording = live?.isRecording() ?? false;
      const size = recording && live ? Math.min(live.committedBytes(), st.size) : st.size;
      const cacheKey = `${st.dev}:${st.ino}:${d.name}`;
      let header = this.headerCache.get(cacheKey) ?? null;
      let error: string | null = null;
      if (!header) {
        try {
          const h = await readHeader(path, size);
          header = {
            level: h.level,
            format_version: h.format_version,
            trace_schema_version: h.trace_schema_version,
            t_wall_start: h.t_wall_start,
            sm_config_digest: h.sm_config_digest,
            digest_valid: h.digest_valid,
          };
          this.headerCache.set(cacheKey, header);
        } catch (e) {
          error = (e as Error).message;
        }
      }
      out.push({ name: d.name, size, mtime: st.mtime.toISOString(), recording, header, error });
    }
    out.sort((a, b) => (a.mtime < b.mtime ? 1 : a.mtime > b.mtime ? -1 : a.name < b.name ? 1 : -1));
    return out;
  }

  /** Opens a trace by name; 400 for names that try to leave the directory, 404 for anything not there. */
  async open(name: string): Promise<OpenedTrace> {
    checkName(name);
    let real: string;
    let realDir: string;
    try {
      realDir = await realpath(this.dir);
      real = await realpath(join(this.dir, name));
    } catch {
      throw new HttpError(404, `no trace named ${JSON.stringify(name)}`);
    }
    if (dirname(real) !== realDir) throw new HttpError(404, `no trace named ${JSON.stringify(name)}`);
    let handle: FileHandle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      throw new HttpError(404, `no trace named ${JSON.stringify(name)}`);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new HttpError(404, `no trace named ${JSON.stringify(name)}`);
      const live = this.liveFor(join(this.dir, name)) ?? this.liveFor(real);
      const size = live?.isRecording() ? Math.min(live.committedBytes(), st.size) : st.size;
      return { name: basename(real), handle, size, mtime: st.mtime, live: live?.isRecording() ? live : null };
    } catch (e) {
      await handle.close();
      throw e;
    }
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > 255) throw new HttpError(400, 'a trace name is 1 to 255 characters');
  if (name.includes('/') || name.includes('\\') || name.includes('\0') || isAbsolute(name))
    throw new HttpError(400, `a trace name is a file name in the traces directory, not a path: ${JSON.stringify(name)}`);
  if (name.startsWith('.')) throw new HttpError(400, `a trace name cannot start with a dot: ${JSON.stringify(name)}`);
  if (!name.endsWith(TRACE_EXT)) throw new HttpError(404, `not a trace file (${TRACE_EXT}): ${JSON.stringify(name)}`);
}

/** Reads and validates the header frame, reading no more than the frame needs. */
export async function readHeader(path: string, limit = Infinity): Promise<TraceHeader> {
  const fh = await open(path, 'r');
  try {
    const first = Buffer.alloc(Math.min(64 * 1024, Number.isFinite(limit) ? limit : 64 * 1024));
    const { bytesRead } = await fh.read(first, 0, first.length, 0);
    if (bytesRead === 0) throw new TraceHeaderError('empty', 'empty file: unexpected EOF reading frame length');
    if (bytesRead < FRAME_PREFIX_BYTES)
      throw new TraceHeaderError('truncated_header', `truncated header: unexpected EOF reading frame length (${bytesRead} of ${FRAME_PREFIX_BYTES} bytes)`);
    const len = first.readUInt32BE(0);
    if (len > MAX_HEADER_BYTES) throw new TraceHeaderError('not_a_header', `header frame claims ${len} bytes (more than ${MAX_HEADER_BYTES})`);
    let buf: Buffer = first;
    let avail = bytesRead;
    if (FRAME_PREFIX_BYTES + len > bytesRead && FRAME_PREFIX_BYTES + len <= limit) {
      buf = Buffer.alloc(FRAME_PREFIX_BYTES + len);
      avail = (await fh.read(buf, 0, buf.length, 0)).bytesRead;
    }
    if (FRAME_PREFIX_BYTES + len > avail)
      throw new TraceHeaderError('truncated_header', `truncated header: frame claims ${len} bytes, only ${avail - FRAME_PREFIX_BYTES} available`);
    return parseHeader(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), FRAME_PREFIX_BYTES, FRAME_PREFIX_BYTES + len);
  } finally {
    await fh.close();
  }
}
