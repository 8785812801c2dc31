import { groupSegments, parseSegmentName, segmentFileName } from '@kvtrace/trace';

/** A trace file of the server to open: its name in the listing, and its size when the listing gave it. */
export interface ServerFile {
  name: string;
  size?: number;
}

/** One trace of a set to open: a recording (one file, or its rotated segments in order). */
export interface PlannedTrace<T> {
  /** The recording's name: the server column and `server:` name it. */
  server: string;
  files: { name: string; item: T }[];
  /** Segment file names the set lacks between its first and last segment. */
  missing: string[];
}

/** Two files that cannot be told apart: the same segment of the same recording given twice. */
export class TraceSetError extends Error {
  override name = 'TraceSetError';
}

/**
 * What a set of files (dropped, picked, chosen on the server, named by a link) opens as: a rotated
 * recording (`NAME.lct`, `NAME.000001.lct`, ...) is one trace, and each recording is a trace of its
 * own, lined up with the others on the wall clock. One file is one trace whatever its name (a
 * dropped file need not end in .lct); among several, a name that is not a `.lct` name is a trace of
 * its own. Traces are ordered by name, so the same files give the same set (and server ids) in any
 * order. Two files for one segment is a TraceSetError naming both.
 */
export function planTraces<T>(items: readonly T[], nameOf: (item: T) => string): PlannedTrace<T>[] {
  if (items.length === 1) {
    const name = nameOf(items[0]!);
    return [{ server: parseSegmentName(name)?.recording ?? name, files: [{ name, item: items[0]! }], missing: [] }];
  }
  let groups;
  try {
    groups = groupSegments(items, nameOf);
  } catch (e) {
    throw new TraceSetError(e instanceof Error ? e.message : String(e));
  }
  const planned: PlannedTrace<T>[] = groups.map((g) => ({
    server: g.recording,
    files: g.segments.map((s) => ({ name: nameOf(s.item), item: s.item })),
    missing: g.missing.map((n) => segmentFileName(g.recording, n)),
  }));
  const seen = new Set(planned.map((p) => p.server));
  for (const item of items) {
    const name = nameOf(item);
    if (parseSegmentName(name) !== null) continue;
    if (seen.has(name)) throw new TraceSetError(`two files named ${JSON.stringify(name)}`);
    seen.add(name);
    planned.push({ server: name, files: [{ name, item }], missing: [] });
  }
  return planned.sort((a, b) => (a.server < b.server ? -1 : a.server > b.server ? 1 : 0));
}

/** A short name for the set: its one file, or how many files and traces it holds. */
export function setName(traces: readonly PlannedTrace<unknown>[]): string {
  const files = traces.reduce((n, t) => n + t.files.length, 0);
  if (files === 1) return traces[0]!.files[0]!.name;
  if (traces.length === 1) return `${traces[0]!.server} (${files} segments)`;
  return `${traces.map((t) => t.server).join(' + ')} (${files} files)`;
}

/** File names in the order their set opens them (traces by name, segments by sequence); as given if they do not make a set. */
export function setOrder(names: readonly string[]): string[] {
  try {
    return planTraces(names, (n) => n).flatMap((t) => t.files.map((f) => f.name));
  } catch (e) {
    if (e instanceof TraceSetError) return [...names];
    throw e;
  }
}
