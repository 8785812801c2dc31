import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { groupSegments, parseSegmentName, TraceHeaderError, TraceReader, type TraceHeader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { expandGlob, hasGlob } from './glob.ts';
import { COLLECT_MARKER, sanitizeServerName } from './server-name.ts';

/** One file of a trace set. */
export interface SegmentFile {
  path: string;
  name: string;
  /** 0 for `NAME.lct`, n for `NAME.00000n.lct`. */
  sequence: number;
  size: number;
  mtimeMs: number;
  header: TraceHeader | null;
  /** Why the header cannot be read (then `header` is null). */
  error: string | null;
}

/**
 * One trace as the commands see it: a recording, in one file or in rotated segments, from one
 * server. Records of the segments read as one stream (libs/trace SegmentedTraceReader).
 */
export interface TraceSet {
  /** Tells traces apart: the subfolder `collect` made, else the recording's name (made unique). */
  server: string;
  /** The recording's name (`NAME` of `NAME.lct`). */
  recording: string;
  dir: string;
  /** By sequence. */
  segments: SegmentFile[];
  /** Sequences between 0 and the last segment that are not there. */
  missing: number[];
  /** The first segment's header: the trace's header. */
  header: TraceHeader | null;
  /** Why the set cannot be read as one trace (first header unreadable, a later segment of another recording), else null. */
  problem: string | null;
  /** Bytes of all segments. */
  bytes: number;
}

/** A path or pattern that names nothing readable: the message names it. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export interface ExpandedInputs {
  /** Ordered by start on the wall clock (unreadable ones last), then by server. */
  sets: TraceSet[];
  /** Things the user should know (segments beside a given file that were not given). */
  warnings: string[];
  /** With `keepGoing`: the inputs that name nothing readable, and why (else they throw). */
  errors: { input: string; message: string }[];
}

/** A header is a few hundred bytes; a frame claiming more than this is not one. */
const HEADER_READ_LIMIT = 1 << 20;
const TRACE_EXT = '.lct';

/**
 * Files, directories and glob patterns into trace sets. A directory means every `.lct` file under
 * it (any depth, dot-names skipped); a pattern is expanded here when the shell did not; a file is
 * itself. Files are grouped into recordings per folder (`NAME.lct`, `NAME.000001.lct`, ... are one
 * trace). Each segment's header is read (bounded) so problems show before any record is.
 * Throws InputError for a path that does not exist, a pattern or directory with no trace in it.
 */
export async function expandTraceInputs(inputs: readonly string[], options: { keepGoing?: boolean } = {}): Promise<ExpandedInputs> {
  const files = new Map<string, { path: string; explicit: boolean }>();
  const errors: { input: string; message: string }[] = [];
  const refuse = (input: string, message: string) => {
    if (!options.keepGoing) throw new InputError(`${input}: ${message}`);
    errors.push({ input, message });
  };
  const add = (path: string, explicit: boolean) => {
    const real = realpathSync(path);
    const had = files.get(real);
    if (!had) files.set(real, { path, explicit });
    else had.explicit ||= explicit;
  };
  for (const input of inputs) {
    if (existsSync(input)) {
      const st = statSync(input);
      if (st.isDirectory()) {
        const found = walkTraces(input);
        if (found.length === 0) refuse(input, `no ${TRACE_EXT} file in this directory`);
        for (const f of found) add(f, false);
      } else if (st.isFile()) add(input, true);
      else refuse(input, 'not a regular file or directory');
    } else if (hasGlob(input)) {
      const found = expandGlob(input);
      if (found.length === 0) refuse(input, 'no file matches this pattern');
      for (const f of found) add(f, false);
    } else refuse(input, 'no such file or directory');
  }

  const byDir = new Map<string, { path: string; real: string; explicit: boolean }[]>();
  for (const [real, f] of files) {
    const dir = dirname(real);
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push({ path: f.path, real, explicit: f.explicit });
  }

  const warnings: string[] = [];
  const sets: TraceSet[] = [];
  for (const [dir, list] of byDir) {
    const named = list.filter((f) => parseSegmentName(basename(f.real)) !== null);
    // A file given by name that is not called *.lct is still a trace of its own.
    for (const f of list.filter((x) => parseSegmentName(basename(x.real)) === null))
      sets.push(await buildSet(dir, basename(f.real).replace(/\.[^.]*$/, '') || basename(f.real), [{ sequence: 0, item: f }], []));
    for (const g of groupSegments(named, (f) => basename(f.real))) {
      sets.push(await buildSet(dir, g.recording, g.segments, g.missing));
      if (g.segments.some((s) => s.item.explicit)) {
        const others = siblingSegments(dir, g.recording).filter((n) => !g.segments.some((s) => basename(s.item.real) === n));
        if (others.length > 0)
          warnings.push(
            `${g.segments[0]!.item.path}: recording ${g.recording} has ${others.length} more segment(s) beside it (${others.slice(0, 3).join(', ')}${others.length > 3 ? ', ...' : ''}) not given: pass the folder or a pattern to read them all`,
          );
      }
    }
  }
  nameServers(sets);
  sets.sort((a, b) => {
    const ta = a.header?.t_wall_start ?? Infinity;
    const tb = b.header?.t_wall_start ?? Infinity;
    return ta !== tb ? (ta < tb ? -1 : 1) : a.server < b.server ? -1 : a.server > b.server ? 1 : 0;
  });
  return { sets, warnings, errors };
}

/** Every `.lct` file under a directory, sorted (dot-names skipped: `collect`'s `.part` files and markers). */
function walkTraces(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(TRACE_EXT)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

function siblingSegments(dir: string, recording: string): string[] {
  try {
    return readdirSync(dir)
      .filter((n) => parseSegmentName(n)?.recording === recording)
      .sort();
  } catch {
    return [];
  }
}

async function buildSet(dir: string, recording: string, segs: { sequence: number; item: { path: string; real: string } }[], missing: number[]): Promise<TraceSet> {
  const segments: SegmentFile[] = [];
  for (const s of segs) {
    const st = statSync(s.item.real);
    const { header, error } = await readHeader(s.item.path);
    segments.push({ path: s.item.path, name: basename(s.item.real), sequence: s.sequence, size: st.size, mtimeMs: st.mtimeMs, header, error });
  }
  const first = segments[0]!;
  return {
    server: '',
    recording,
    dir,
    segments,
    missing,
    header: first.header,
    problem: setProblem(segments),
    bytes: segments.reduce((n, s) => n + s.size, 0),
  };
}

/** The same rule as SegmentedTraceReader, checked before reading so an export stops before it writes anything. */
function setProblem(segments: SegmentFile[]): string | null {
  const first = segments[0]!;
  if (!first.header) return `${first.name}: ${first.error}`;
  for (const s of segments.slice(1)) {
    if (!s.header) return `${s.name}: ${s.error}`;
    for (const f of ['level', 'format_version', 'trace_schema_version', 'sm_config_digest'] as const)
      if (s.header[f] !== first.header[f])
        return `${s.name}: ${f} ${JSON.stringify(s.header[f])} differs from ${JSON.stringify(first.header[f])} in ${first.name}: not a segment of the same recording`;
  }
  return null;
}

/** Reads just the header frame (at most HEADER_READ_LIMIT bytes). */
export async function readHeader(path: string): Promise<{ header: TraceHeader | null; error: string | null }> {
  const reader = new TraceReader(fileStream(path, { end: HEADER_READ_LIMIT - 1, highWaterMark: 64 * 1024 }));
  try {
    return { header: await reader.header(), error: null };
  } catch (e) {
    return { header: null, error: e instanceof TraceHeaderError ? e.message : `cannot read: ${(e as Error).message}` };
  } finally {
    await reader.cancel();
  }
}

/**
 * The subfolder's name when `collect` made it (it leaves COLLECT_MARKER) and it holds one
 * recording, else the recording's name; clashes get the folder's name in front, then a number.
 */
function nameServers(sets: TraceSet[]): void {
  const perDir = new Map<string, number>();
  for (const s of sets) perDir.set(s.dir, (perDir.get(s.dir) ?? 0) + 1);
  for (const s of sets) {
    const collected = existsSync(join(s.dir, COLLECT_MARKER));
    s.server = sanitizeServerName(collected && perDir.get(s.dir) === 1 ? basename(s.dir) : collected ? `${basename(s.dir)}.${s.recording}` : s.recording);
  }
  const counts = new Map<string, number>();
  for (const s of sets) counts.set(s.server, (counts.get(s.server) ?? 0) + 1);
  for (const s of sets) if (counts.get(s.server)! > 1) s.server = sanitizeServerName(`${basename(s.dir)}.${s.recording}`);
  const seen = new Map<string, number>();
  for (const s of [...sets].sort((a, b) => (resolve(a.dir, a.recording) < resolve(b.dir, b.recording) ? -1 : 1))) {
    const n = (seen.get(s.server) ?? 0) + 1;
    seen.set(s.server, n);
    if (n > 1) s.server = `${s.server}-${n}`;
  }
}

/**
 * The traces of a command that needs every one of them readable (export, sql, replay): the sets,
 * or one message naming each input that cannot be read (a file by its path, a recording by its
 * server). Warnings (a pattern matching nothing among others, ...) go to `warn`.
 */
export async function readableTraceSets(inputs: readonly string[], warn: (message: string) => void): Promise<{ sets: TraceSet[]; error: null } | { sets: null; error: string }> {
  let sets: TraceSet[];
  try {
    const expanded = await expandTraceInputs(inputs);
    for (const w of expanded.warnings) warn(w);
    sets = expanded.sets;
  } catch (e) {
    if (e instanceof InputError) return { sets: null, error: e.message };
    throw e;
  }
  const bad = sets.filter((s) => s.problem !== null);
  // One file: its path and the reason (the reason starts with the file's name); a recording: its server and the reason.
  if (bad.length > 0) return { sets: null, error: bad.map((s) => (s.segments.length === 1 ? `${s.segments[0]!.path}: ${s.problem!.slice(s.segments[0]!.name.length + 2)}` : `${s.server}: ${s.problem}`)).join('\n') };
  return { sets, error: null };
}
