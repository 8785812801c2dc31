import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { TraceHeaderError } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { READ_CHUNK } from '../replay/read-chunk.ts';
import { EXPORT_FORMATS, createFormat, exportTrace, type ExportFormatName } from '../export/export-trace.ts';
import { OutputClosedError, TextSink } from '../export/text-sink.ts';
import { describeDamage } from '../replay/damage.ts';

export const summary = 'convert a trace to JSON lines, CSV or Chrome trace-event JSON (Perfetto)';

const HELP = `usage: npm run kvtrace -- export FILE --format jsonl|csv|chrome [-o PATH]

Streams the decoded records of a trace (ours or LMCache's) in another format, in constant memory:
  jsonl    one JSON object per record: index, offset, t_mono, t_wall, qualname, args
  csv      one row per record; args as a JSON cell
  chrome   Chrome trace-event JSON (open it in https://ui.perfetto.dev): calls are instant
           events, read_prefetched_results enter/exit pairs are spans, one thread per method
Arguments are JSON: bytes as hex, ObjectKey as {chunk_hash, model_name, kv_rank, object_group_id,
cache_salt}, enums by member name, unknown tags as {"__t__": tag, "v": payload}.

options:
  --format F      jsonl, csv or chrome (required)
  -o, --output P  write to P instead of standard output
  -h, --help      this text
Damage (truncated tail, malformed frames) is reported on standard error; the export still holds
every readable record. Exit status: 0 on success (also when the reader of standard output goes
away), 1 for an unreadable file or an output that cannot be written, 2 for bad usage.`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) return usageError(positionals.length === 0 ? 'no file given' : 'export takes exactly one file');
  if (!values.format) return usageError('--format is required (jsonl, csv or chrome)');
  if (!(EXPORT_FORMATS as readonly string[]).includes(values.format)) return usageError(`unknown --format ${JSON.stringify(values.format)} (expected jsonl, csv or chrome)`);
  const file = positionals[0]!;
  if (!existsSync(file) || !statSync(file).isFile()) {
    process.stderr.write(`kvtrace export: ${file}: ${existsSync(file) ? 'not a regular file' : 'no such file'}\n`);
    return 1;
  }

  const where = values.output ?? 'standard output';
  let sink: TextSink;
  try {
    sink = values.output ? TextSink.toFile(values.output) : TextSink.toStdout();
  } catch (e) {
    process.stderr.write(`kvtrace export: cannot write ${where}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const result = await exportTrace(fileStream(file, { highWaterMark: READ_CHUNK }), createFormat(values.format as ExportFormatName), sink, basename(file));
    await sink.close();
    for (const line of describeDamage(result.report)) process.stderr.write(`kvtrace export: ${file}: ${line}\n`);
    if (values.output) process.stderr.write(`kvtrace export: wrote ${result.records} records to ${values.output}\n`);
    return 0;
  } catch (e) {
    // Only a reader of standard output going away (`| head`) is a clean stop; a file that fails is an error.
    if (e instanceof OutputClosedError && e.brokenPipe && !values.output) return 0;
    await sink.close().catch(() => undefined);
    if (e instanceof OutputClosedError) {
      process.stderr.write(`kvtrace export: cannot write ${where}: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}\n`);
      return 1;
    }
    if (e instanceof TraceHeaderError) {
      process.stderr.write(`kvtrace export: ${file}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

function usageError(message: string): number {
  process.stderr.write(`kvtrace export: ${message}\n\n${HELP}\n`);
  return 2;
}
