import { parseArgs } from 'node:util';
import { shortMethodName, type TruncationReport } from '@kvtrace/trace';
import { formatTable } from '../format/table.ts';
import { expandTraceInputs } from '../fleet/inputs.ts';
import { Progress } from '../fleet/progress.ts';
import { summarizeSet, type SetSummary } from '../fleet/summarize.ts';

export const summary = 'summarise traces (like `lmcache trace info`); several traces on one wall clock';

const HELP = `usage: npm run kvtrace -- info TRACE... [--json] [--threads N]

TRACE is a file, a folder (every .lct under it) or a pattern; a rotated recording (NAME.lct,
NAME.000001.lct, ...) is one trace. For each trace: level, versions, start time, how long its
calls span, config digest (and whether it matches the config), record count, counts per method,
and what is damaged (truncated tail, malformed frames, argument tags this build does not know, by
name). Several traces are then lined up on one wall clock (each header's t_wall_start + t_mono)
with totals. A progress bar shows on a terminal while big files are read. A file of 256 MiB or more is
checked by as many threads as there are cores (the file is cut into parts at frame boundaries; the
figures are the same); --threads N sets the count (1: one thread).
--json prints one JSON object per trace, one per line (the shape of lmcache trace info: its
duration_s is the last call's offset from the recorder's start; span_s is first to last call),
then, for several traces, one object with "servers" and the totals.
Exit status: 0 when every trace has a valid header (also when truncated), 1 otherwise.`;

// Counts with thousands separators; byte offsets plain, as tools (dd, xxd -s) take them.
const fmtInt = (n: number) => n.toLocaleString('en-US');
const fmtS = (s: number) => `${s.toFixed(3)} s`;
const iso = (unix: number) => new Date(unix * 1000).toISOString();

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, threads: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`kvtrace info: ${(e as Error).message}\n${HELP}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (parsed.positionals.length === 0) {
    process.stderr.write(`kvtrace info: no file given\n${HELP}\n`);
    return 2;
  }
  const json = parsed.values.json === true;
  const threads = parsed.values.threads === undefined ? undefined : Number(parsed.values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
    process.stderr.write(`kvtrace info: --threads must be a whole number from 1 to 64, got ${JSON.stringify(parsed.values.threads)}\n`);
    return 2;
  }
  const { sets, warnings, errors } = await expandTraceInputs(parsed.positionals, { keepGoing: true });
  for (const w of warnings) process.stderr.write(`kvtrace info: ${w}\n`);
  let allOk = errors.length === 0;
  for (const e of errors) {
    process.stderr.write(`kvtrace info: ${e.input}: ${e.message}\n`);
    if (json) process.stdout.write(JSON.stringify({ file: e.input, ok: false, error: e.message, header: null, records: 0, by_qualname: {}, duration_s: 0, truncated: null, malformed: 0, arg_decode_errors: 0 }) + '\n');
  }

  const total = sets.reduce((n, s) => n + s.bytes, 0);
  const bar = new Progress('info', total);
  const summaries: SetSummary[] = [];
  let before = 0;
  for (const set of sets) {
    const s = await summarizeSet(set, (bytes) => bar.update(before + bytes, set.server), threads);
    before += set.bytes;
    bar.clear();
    summaries.push(s);
    allOk &&= s.ok;
    if (!s.ok) process.stderr.write(`kvtrace info: ${s.file}: ${s.error}\n`);
    if (json) {
      const { malformed_frames: _frames, ...shape } = s;
      process.stdout.write(JSON.stringify(shape) + '\n');
    } else if (s.ok) process.stdout.write(renderText(s, sets.length > 1) + '\n');
  }
  const good = summaries.filter((s) => s.ok && s.header);
  if (good.length > 1) process.stdout.write((json ? JSON.stringify(combined(good)) : renderCombined(good)) + '\n');
  return allOk ? 0 : 1;
}

function digestLine(h: NonNullable<SetSummary['header']>): string {
  if (h.sm_config_digest === '') return h.digest_valid ? '(none: the trace records no config)' : '(none, but the header has a config: it cannot be checked)';
  return `${h.sm_config_digest} (${h.digest_valid ? 'matches the config' : 'DOES NOT match the config'})`;
}

function describeTruncation(t: TruncationReport, where = ''): string {
  return t.claimed === null
    ? `the file${where} ends inside the length prefix at byte ${t.offset} (${t.available} of 4 bytes); every record before it was read`
    : `the frame at byte ${t.offset}${where} claims ${t.claimed} bytes, only ${t.available} remain; every record before it was read`;
}

function renderText(s: SetSummary, several: boolean): string {
  const h = s.header!;
  const lines = [several || s.segments ? `${s.file}  [server ${s.server}]` : s.file];
  lines.push(
    `  level:          ${h.level}`,
    `  versions:       format ${h.format_version}, schema ${h.trace_schema_version}`,
    `  started:        ${iso(h.t_wall_start)} (recorder start)`,
    s.first_call_s === null
      ? '  calls span:     (no calls)'
      : `  calls span:     ${fmtS(s.span_s)}, first call at +${fmtS(s.first_call_s)}, last at +${fmtS(s.last_call_s!)}`,
    `  config digest:  ${digestLine(h)}`,
    `  records:        ${fmtInt(s.records)}`,
  );
  if (s.segments) {
    lines.push(`  segments:       ${s.segments.length}${s.missing_segments ? ` (MISSING: ${s.missing_segments.join(', ')})` : ''}`);
    lines.push(
      formatTable(
        ['file', 'bytes', 'records', 'damage'],
        s.segments.map((g) => [g.file, fmtInt(g.bytes), fmtInt(g.records), [g.truncated ? 'truncated tail' : '', g.malformed ? `${g.malformed} malformed` : ''].filter(Boolean).join(', ') || 'none']),
        { indent: 4, align: ['l', 'r', 'r', 'l'] },
      ),
    );
  } else if (s.missing_segments) lines.push(`  segments:       MISSING ${s.missing_segments.join(', ')} before this one`);
  lines.push(methodTable(s.by_qualname, s.records));
  if (s.segments) {
    for (const g of s.segments) if (g.truncated) lines.push(`  truncated:      ${describeTruncation(g.truncated, ` of ${g.file}`)}`);
  } else if (s.truncated) lines.push(`  truncated:      ${describeTruncation(s.truncated)}`);
  if (s.malformed) {
    lines.push(`  malformed:      ${fmtInt(s.malformed)} frame(s) skipped`);
    for (const f of s.malformed_frames ?? []) lines.push(`    at byte ${f.offset}: ${f.reason}`);
  }
  if (s.arg_decode_errors) {
    const tags = Object.entries(s.unknown_tags).map(([t, n]) => `${JSON.stringify(t)} in ${fmtInt(n)}`);
    lines.push(`  unknown tags:   ${fmtInt(s.arg_decode_errors)} record(s) carry argument tags this build does not know (kept raw): ${tags.join(', ')}`);
  }
  if (!s.truncated && !s.malformed && !s.arg_decode_errors && !s.segments?.some((g) => g.truncated) && !s.missing_segments) lines.push('  damage:         none');
  return lines.join('\n');
}

function methodTable(byQualname: Record<string, number>, total: number): string {
  const rows = Object.entries(byQualname)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([q, n]) => [shortMethodName(q), fmtInt(n), total ? `${((100 * n) / total).toFixed(1)}%` : '']);
  return rows.length ? formatTable(['method', 'calls', 'share'], rows, { indent: 2, align: ['l', 'r', 'r'] }) : '  (no calls)';
}

interface Combined {
  servers: { server: string; file: string; t_wall_start: number; first_call: number | null; last_call: number | null; records: number }[];
  t_wall_first: number;
  t_wall_last: number;
  span_s: number;
  records: number;
  by_qualname: Record<string, number>;
}

/** Several traces on one wall clock: each header's t_wall_start plus its calls' t_mono. */
function combined(list: SetSummary[]): Combined {
  const servers = list.map((s) => ({
    server: s.server,
    file: s.file,
    t_wall_start: s.header!.t_wall_start,
    first_call: s.first_call_s === null ? null : s.header!.t_wall_start + s.first_call_s,
    last_call: s.last_call_s === null ? null : s.header!.t_wall_start + s.last_call_s,
    records: s.records,
  }));
  const firsts = servers.flatMap((s) => (s.first_call === null ? [] : [s.first_call]));
  const lasts = servers.flatMap((s) => (s.last_call === null ? [] : [s.last_call]));
  const t0 = firsts.length ? Math.min(...firsts) : Math.min(...servers.map((s) => s.t_wall_start));
  const t1 = lasts.length ? Math.max(...lasts) : t0;
  const by = new Map<string, number>();
  for (const s of list) for (const [q, n] of Object.entries(s.by_qualname)) by.set(q, (by.get(q) ?? 0) + n);
  return {
    servers,
    t_wall_first: t0,
    t_wall_last: t1,
    span_s: t1 - t0,
    records: list.reduce((n, s) => n + s.records, 0),
    by_qualname: Object.fromEntries([...by].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  };
}

function renderCombined(list: SetSummary[]): string {
  const c = combined(list);
  const rel = (t: number | null) => (t === null ? '' : `${t - c.t_wall_first >= 0 ? '+' : ''}${fmtS(t - c.t_wall_first)}`);
  return [
    `all ${c.servers.length} traces on one wall clock: calls from ${iso(c.t_wall_first)} to ${iso(c.t_wall_last)} (${fmtS(c.span_s)})`,
    formatTable(
      ['server', 'recorder start', 'first call', 'last call', 'calls'],
      c.servers.map((s) => [s.server, rel(s.t_wall_start), rel(s.first_call), rel(s.last_call), fmtInt(s.records)]),
      { indent: 2, align: ['l', 'r', 'r', 'r', 'r'] },
    ),
    `  records:        ${fmtInt(c.records)}`,
    methodTable(c.by_qualname, c.records),
  ].join('\n');
}
