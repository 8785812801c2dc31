import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { readHeader } from './inputs.ts';
import { COLLECT_MARKER, serverNameForUrl, type CollectMarker } from './server-name.ts';

/** A trace as a server's `GET /traces` lists it (only the fields collect needs; the rest is ignored). */
export interface ListedTrace {
  name: string;
  /** Bytes a download gets now (a live recording: its committed frames). */
  size: number;
  recording: boolean;
  header: { t_wall_start: number; sm_config_digest: string } | null;
  error: string | null;
}

export type FileStatus = 'downloaded' | 'resumed' | 'up to date' | 'skipped' | 'failed';

export interface CollectedFile {
  name: string;
  status: FileStatus;
  /** Size of the local file afterwards (0 when there is none). */
  bytes: number;
  /** Bytes transferred by this run. */
  fetched: number;
  /** The server was still recording it: the local file holds what was committed when it was fetched. */
  live: boolean;
  /** Why it was skipped or failed. */
  reason: string | null;
}

export interface CollectedServer {
  server: string;
  url: string;
  dir: string;
  files: CollectedFile[];
  /** The server could not be listed (unreachable, not a kvtrace server): nothing was fetched from it. */
  error: string | null;
}

export type CollectEvent =
  | { kind: 'listed'; server: string; files: number; bytes: number }
  | { kind: 'bytes'; server: string; n: number }
  | { kind: 'file'; server: string; file: CollectedFile };

export interface CollectOptions {
  urls: readonly URL[];
  outDir: string;
  onEvent?: (e: CollectEvent) => void;
  /** How long the listing of one server may take. */
  listTimeoutMs?: number;
}

/** A name from a server is untrusted: a plain `.lct` file name, nothing that leaves the folder. */
const SAFE_NAME = /^(?!\.)[^/\\\0]{1,255}$/;

/**
 * Downloads every trace of every server into `OUT/<host-port>/` (collect's marker file beside them
 * names the server for the commands that read them). Servers are fetched in parallel, each one's
 * files one after another. A file is fetched into `NAME.part` with a Range request that continues
 * whatever an interrupted run left, its header is checked, and only then is it renamed; a local
 * file of the listed size is up to date and not fetched again; a live recording is fetched as far
 * as it is committed, and a later run continues it. One failing server or file does not stop the rest.
 */
export async function collectTraces(options: CollectOptions): Promise<CollectedServer[]> {
  const names = new Map<string, string>();
  for (const u of options.urls) {
    const name = serverNameForUrl(u);
    const other = names.get(name);
    if (other !== undefined) throw new Error(`${other} and ${u.href} are the same server (${name})`);
    names.set(name, u.href);
  }
  return Promise.all(options.urls.map((u) => collectServer(u, options)));
}

async function collectServer(url: URL, options: CollectOptions): Promise<CollectedServer> {
  const server = serverNameForUrl(url);
  const dir = join(options.outDir, server);
  const out: CollectedServer = { server, url: url.href, dir, files: [], error: null };
  let listing: ListedTrace[];
  try {
    listing = await listTraces(url, options.listTimeoutMs ?? 30_000);
  } catch (e) {
    out.error = (e as Error).message;
    return out;
  }
  mkdirSync(dir, { recursive: true });
  const marker: CollectMarker = { server, url: url.href };
  writeFileSync(join(dir, COLLECT_MARKER), JSON.stringify(marker) + '\n');
  options.onEvent?.({ kind: 'listed', server, files: listing.length, bytes: listing.reduce((n, t) => n + Math.max(0, t.size - localSize(join(dir, t.name))), 0) });
  for (const t of listing) {
    const file = await collectFile(url, dir, t, (n) => options.onEvent?.({ kind: 'bytes', server, n }));
    out.files.push(file);
    options.onEvent?.({ kind: 'file', server, file });
  }
  return out;
}

function localSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** `GET /traces`, checked field by field (a proxy's error page or another service must not become files). */
export async function listTraces(url: URL, timeoutMs: number): Promise<ListedTrace[]> {
  const listUrl = new URL('traces', url.href.endsWith('/') ? url : new URL(url.href + '/'));
  let res: Response;
  try {
    res = await fetchOnce(listUrl, () => ({ signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } }));
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot reach ${listUrl.href}: ${cause?.code ?? cause?.message ?? (e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new Error(`${listUrl.href} answered HTTP ${res.status}${await bodyHint(res)}`);
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new Error(`${listUrl.href} did not answer JSON: is it a kvtrace server?`);
  }
  const traces = (body as { traces?: unknown } | null)?.traces;
  if (!Array.isArray(traces)) throw new Error(`${listUrl.href}: the answer has no "traces" list: is it a kvtrace server?`);
  return traces.map((t: unknown, i): ListedTrace => {
    const o = (t ?? {}) as Record<string, unknown>;
    const where = `${listUrl.href}: traces[${i}]`;
    if (typeof o.name !== 'string' || !SAFE_NAME.test(o.name) || !o.name.endsWith('.lct')) throw new Error(`${where}.name must be a file name ending in .lct, got ${JSON.stringify(o.name)}`);
    if (typeof o.size !== 'number' || !Number.isSafeInteger(o.size) || o.size < 0) throw new Error(`${where}.size must be a non-negative integer, got ${JSON.stringify(o.size)}`);
    const h = o.header as Record<string, unknown> | null | undefined;
    return {
      name: o.name,
      size: o.size,
      recording: o.recording === true,
      header: h && typeof h.t_wall_start === 'number' && typeof h.sm_config_digest === 'string' ? { t_wall_start: h.t_wall_start, sm_config_digest: h.sm_config_digest } : null,
      error: typeof o.error === 'string' ? o.error : null,
    };
  });
}

/**
 * fetch, tried again once when a kept-alive connection turns out to be dead (the server restarted
 * since it was opened): that is not the server being unreachable.
 */
async function fetchOnce(url: URL, init: () => RequestInit): Promise<Response> {
  try {
    return await fetch(url, init());
  } catch (e) {
    const code = (e as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw e;
    return fetch(url, init());
  }
}

async function bodyHint(res: Response): Promise<string> {
  try {
    const text = (await res.text()).trim();
    const msg = (JSON.parse(text) as { message?: unknown }).message;
    return typeof msg === 'string' ? `: ${msg}` : '';
  } catch {
    return '';
  }
}

async function collectFile(base: URL, dir: string, t: ListedTrace, onBytes: (n: number) => void): Promise<CollectedFile> {
  const dest = join(dir, t.name);
  const part = `${dest}.part`;
  const result = (status: FileStatus, fetched: number, reason: string | null = null): CollectedFile => ({ name: t.name, status, bytes: localSize(dest), fetched, live: t.recording, reason });
  if (!t.header) return result('skipped', 0, `the server cannot read its header (${t.error ?? 'no header yet'})`);

  let start = 0;
  let grown = false;
  if (existsSync(dest)) {
    const have = statSync(dest).size;
    const local = await readHeader(dest);
    const same = local.header !== null && local.header.t_wall_start === t.header.t_wall_start && local.header.sm_config_digest === t.header.sm_config_digest;
    if (same && have === t.size) return result('up to date', 0);
    // An append-only file that grew (a live recording, fetched before): continue it.
    if (same && have < t.size) {
      renameSync(dest, part);
      start = have;
      grown = true;
    }
  } else if (existsSync(part)) {
    const have = statSync(part).size;
    if (have <= t.size) start = have;
  }
  if (start === 0) rmSync(part, { force: true });

  let fetched = 0;
  const count = (n: number) => {
    fetched += n;
    onBytes(n);
  };
  try {
    await download(new URL(`traces/${encodeURIComponent(t.name)}`, base.href.endsWith('/') ? base : new URL(base.href + '/')), part, start, count);
  } catch (e) {
    // A file that was complete before this run stays readable (a torn last frame is a truncated
    // tail); a new one stays `.part`. Either way the next run continues from its last byte.
    if (grown && existsSync(part)) renameSync(part, dest);
    return result('failed', fetched, `${(e as Error).message} (what arrived is kept in ${grown ? t.name : `${t.name}.part`}; run collect again to continue)`);
  }
  const check = await readHeader(part);
  if (!check.header) {
    rmSync(part, { force: true });
    return result('failed', fetched, `the downloaded file has no valid header: ${check.error}`);
  }
  renameSync(part, dest);
  return result(start > 0 ? 'resumed' : 'downloaded', fetched, t.recording ? 'live: the server is still recording it; this is what was committed, run collect again for more' : null);
}

/** GET with `Range: bytes=START-`, appended to `path`; a server that answers 200 instead is written from the start. */
async function download(url: URL, path: string, start: number, onBytes: (n: number) => void): Promise<void> {
  const headers: Record<string, string> = start > 0 ? { range: `bytes=${start}-` } : {};
  let res = await fetchOnce(url, () => ({ headers }));
  if (res.status === 416 && start > 0) {
    // The remote file is shorter than what we have: it is another file now; fetch it whole.
    await res.body?.cancel();
    start = 0;
    res = await fetchOnce(url, () => ({}));
  }
  if (res.status !== 200 && res.status !== 206) throw new Error(`HTTP ${res.status}${await bodyHint(res)}`);
  let total: number | null = null;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== start) throw new Error(`the server answered a range other than the one asked for (${res.headers.get('content-range')})`);
    total = Number(m[3]);
  } else {
    start = 0;
    const len = res.headers.get('content-length');
    if (len !== null) total = Number(len);
  }
  const fd = openSync(path, start > 0 ? 'a' : 'w');
  let got = 0;
  try {
    if (res.body) {
      for await (const chunk of res.body) {
        writeSync(fd, chunk);
        got += chunk.length;
        onBytes(chunk.length);
      }
    }
  } finally {
    closeSync(fd);
  }
  if (total !== null && start + got !== total) throw new Error(`the connection ended after ${start + got} of ${total} bytes`);
}
