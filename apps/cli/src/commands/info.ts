import { parseArgs } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { shortMethodName, summarizeTrace, type TraceSummary } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { formatTable } from '../format/table.ts';

export const summary = 'summarise trace files (like `lmcache trace info`)';

const HELP = `usage: npm run kvtrace -- info FILE... [--json]

Prints each trace's level, versions, start time, duration, config digest (and whether it matches the
config), record count, counts per method, and what is damaged (truncated tail, malformed frames,
unknown argument tags). --json prints one JSON object per file, one per line.
Exit status: 0 when every file has a valid header (also when truncated), 1 otherwise.`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
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
  let allOk = true;
  for (const file of parsed.positionals) {
    const s = await summarizeFile(file);
    allOk &&= s.ok;
    if (parsed.values.json) {
      const { malformed_frames: _frames, ...shape } = s;
      process.stdout.write(JSON.stringify(shape) + '\n');
    } else process.stdout.write(renderText(s) + '\n');
  }
  return allOk ? 0 : 1;
}

async function summarizeFile(file: string): Promise<TraceSummary> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    return { file, ok: false, error: existsSync(file) ? 'not a regular file' : 'no such file', header: null, records: 0, by_qualname: {}, duration_s: 0, truncated: null, malformed: 0, arg_decode_errors: 0 };
  }
  return summarizeTrace(fileStream(file), file);
}

function renderText(s: TraceSummary): string {
  const lines = [`${s.file}`];
  if (!s.ok || !s.header) {
    lines.push(`  error: ${s.error}`);
    return lines.join('\n');
  }
  const h = s.header;
  lines.push(
    `  level:          ${h.level}`,
    `  versions:       format ${h.format_version}, schema ${h.trace_schema_version}`,
    `  started:        ${new Date(h.t_wall_start * 1000).toISOString()}`,
    `  duration:       ${s.duration_s.toFixed(3)} s`,
    `  config digest:  ${h.sm_config_digest || '(none)'} (${h.digest_valid ? 'matches the config' : 'DOES NOT match the config'})`,
    `  records:        ${s.records}`,
  );
  const rows = Object.entries(s.by_qualname)
    .sort((a, b) => b[1] - a[1])
    .map(([q, n]) => [shortMethodName(q), String(n), s.records ? `${((100 * n) / s.records).toFixed(1)}%` : '']);
  if (rows.length) lines.push(formatTable(['method', 'calls', 'share'], rows, { indent: 2, align: ['l', 'r', 'r'] }));
  if (s.truncated) {
    const t = s.truncated;
    lines.push(
      t.claimed === null
        ? `  truncated:      the file ends inside the length prefix at byte ${t.offset} (${t.available} of 4 bytes); every record before it was read`
        : `  truncated:      the frame at byte ${t.offset} claims ${t.claimed} bytes, only ${t.available} remain; every record before it was read`,
    );
  }
  if (s.malformed) {
    lines.push(`  malformed:      ${s.malformed} frame(s) skipped`);
    for (const f of s.malformed_frames ?? []) lines.push(`    at byte ${f.offset}: ${f.reason}`);
  }
  if (s.arg_decode_errors) lines.push(`  unknown tags:   ${s.arg_decode_errors} record(s) carry argument tags this build does not know (kept raw)`);
  if (!s.truncated && !s.malformed && !s.arg_decode_errors) lines.push('  damage:         none');
  return lines.join('\n');
}
