import { parseArgs } from 'node:util';
import { mergeTraces, TraceHeaderError, type MergeInput, type SegmentReport } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { READ_BYTES, READ_CHUNK } from '../replay/read-chunk.ts';
import { EXPORT_FORMATS, createFormat, exportRecords, exportTrace, type ExportFormat, type ExportFormatName, type RecordSource } from '../export/export-trace.ts';
import { OutputClosedError, TextSink } from '../export/text-sink.ts';
import { describeDamage } from '../replay/damage.ts';
import { readableTraceSets, type TraceSet } from '../fleet/inputs.ts';
import { exportParquet, partitionDir } from '../fleet/parquet-export.ts';
import { formatBytes, Progress } from '../fleet/progress.ts';
import { TABLES } from '../fleet/tables.ts';
import { openTraceSet } from '../fleet/trace-set.ts';
import { complaints } from './complaints.ts';

export const summary = 'convert traces to JSON lines, CSV, Chrome trace-event JSON (Perfetto) or a Parquet dataset';

const FORMATS = [...EXPORT_FORMATS, 'parquet'] as const;

const HELP = `usage: npm run kvtrace -- export TRACE... --format jsonl|csv|chrome [-o PATH]
       npm run kvtrace -- export TRACE... --format parquet --out DIR

TRACE is a file, a folder (every .lct under it) or a pattern. A rotated recording (NAME.lct,
NAME.000001.lct, ...) is one trace; several traces are merged on the wall clock (each trace's
t_wall_start + t_mono) and told apart by server (the folder collect made, else the recording's name).
Streams in constant memory:
  jsonl    one JSON object per record: index, offset, t_mono, t_wall, qualname, args
  csv      one row per record; args as a JSON cell
  chrome   Chrome trace-event JSON (open it in https://ui.perfetto.dev): calls are instant
           events, read_prefetched_results enter/exit pairs are spans, one thread per method
  parquet  a Hive-partitioned dataset for DuckDB, Spark, Trino, pandas:
             DIR/calls/server=NAME/part-K.parquet      (call, t_wall, t_mono, method, n_keys,
                                                        external_request_id, args, frame_offset)
             DIR/call_keys/server=NAME/part-K.parquet  (call, position, chunk_hash, model_name,
                                                        kv_rank, object_group_id, cache_salt)
             DIR/requests/server=NAME/part-K.parquet  (one row per request as kvtrace analyze
                                                        decides it: kind, status, calls, n_keys,
                                                        found, phase times)
           zstd, row groups of 128k rows; a server exported again replaces its partitions,
           other servers' stay. Read it with duckdb: SELECT ... FROM 'DIR/calls/**/*.parquet'
With several traces, t_mono counts from the earliest trace's start and index/offset are each
record's own (index within its server's trace, offset in its file).
Arguments are JSON: bytes as hex, ObjectKey as {chunk_hash, model_name, kv_rank, object_group_id,
cache_salt}, enums by member name, unknown tags as {"__t__": tag, "v": payload}.

options:
  --format F      jsonl, csv, chrome or parquet (required)
  -o, --output P  jsonl/csv/chrome: write to P instead of standard output
  --out DIR       parquet: the dataset folder (required)
  -h, --help      this text
Damage (truncated tails, malformed frames) is reported on standard error; the export still holds
every readable record. Exit status: 0 on success (also when the reader of standard output goes
away), 1 for an unreadable trace or an output that cannot be written, 2 for bad usage.`;
const { fail, usageError } = complaints('export', HELP);

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usageError((e as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) return usageError('no trace given');
  if (!values.format) return usageError(`--format is required (${FORMATS.join(', ')})`);
  if (!(FORMATS as readonly string[]).includes(values.format)) return usageError(`unknown --format ${JSON.stringify(values.format)} (expected ${FORMATS.join(', ')})`);
  if (values.format === 'parquet') {
    if (!values.out) return usageError('--format parquet needs --out DIR (the dataset folder)');
    if (values.output) return usageError('--format parquet writes a folder: use --out DIR, not -o');
  } else if (values.out) return usageError(`--out DIR is for --format parquet; ${values.format} goes to standard output or -o PATH`);

  const { sets, error } = await readableTraceSets(positionals, (w) => process.stderr.write(`kvtrace export: ${w}\n`));
  if (error !== null) return fail(error);
  for (const s of sets) if (s.missing.length > 0) process.stderr.write(`kvtrace export: ${s.server}: segment(s) ${s.missing.join(', ')} of ${s.recording} are not there; exporting the others\n`);

  if (values.format === 'parquet') return toParquet(sets, values.out!);
  return toText(sets, values.format as ExportFormatName, values.output);
}

async function toParquet(sets: TraceSet[], outDir: string): Promise<number> {
  const total = sets.reduce((n, s) => n + s.bytes, 0);
  const bar = new Progress('export', total);
  let servers;
  try {
    servers = await exportParquet(sets, outDir, { onProgress: (bytes, records) => bar.update(bytes, `${records.toLocaleString('en-US')} records`) });
  } catch (e) {
    bar.clear();
    return fail(`${(e as Error).message} (nothing of this export was put in ${outDir})`);
  }
  bar.clear();
  for (const s of servers) {
    for (const seg of s.segments) for (const line of describeDamage(seg.report)) process.stderr.write(`kvtrace export: ${s.server}: ${seg.name}: ${line}\n`);
    const rows = TABLES.map((t) => `${s.rows.get(t.name) ?? 0} ${t.name} rows`).join(', ');
    process.stdout.write(`${s.server}: ${s.records} calls -> ${rows} in ${s.parts} part(s): ${TABLES.map((t) => partitionDir(outDir, t.name, s.server)).join(', ')}\n`);
  }
  process.stderr.write(`kvtrace export: wrote ${servers.length} server(s) from ${formatBytes(total)} of trace to ${outDir}\n`);
  return 0;
}

async function toText(sets: TraceSet[], name: ExportFormatName, output: string | undefined): Promise<number> {
  const where = output ?? 'standard output';
  let sink: TextSink;
  try {
    sink = output ? TextSink.toFile(output) : TextSink.toStdout();
  } catch (e) {
    process.stderr.write(`kvtrace export: cannot write ${where}: ${(e as Error).message}\n`);
    return 1;
  }
  const single = sets.length === 1 && sets[0]!.segments.length === 1 ? sets[0]!.segments[0]! : null;
  try {
    if (single) {
      // One plain file: the exporter as it always was (its offsets, its indices, its header).
      const result = await exportTrace(() => fileStream(single.path, { highWaterMark: READ_CHUNK, readBytes: READ_BYTES }), createFormat(name), sink, single.name);
      await sink.close();
      for (const line of describeDamage(result.report)) process.stderr.write(`kvtrace export: ${single.path}: ${line}\n`);
      if (output) process.stderr.write(`kvtrace export: wrote ${result.records} records to ${output}\n`);
      return 0;
    }
    if (sets.length > 1)
      process.stderr.write(`kvtrace export: ${sets.length} traces (${sets.map((s) => s.server).join(', ')}) merged on the wall clock; t_mono counts from the earliest start\n`);
    const { records, segments } = await exportMerged(sets, createFormat(name, sets.length > 1), sink);
    await sink.close();
    for (const { server, report } of segments) for (const line of describeDamage(report.report)) process.stderr.write(`kvtrace export: ${server}: ${report.name}: ${line}\n`);
    if (output) process.stderr.write(`kvtrace export: wrote ${records} records to ${output}\n`);
    return 0;
  } catch (e) {
    // Only a reader of standard output going away (`| head`) is a clean stop; a file that fails is an error.
    if (e instanceof OutputClosedError && e.brokenPipe && !output) return 0;
    await sink.close().catch(() => undefined);
    if (e instanceof OutputClosedError) {
      process.stderr.write(`kvtrace export: cannot write ${where}: ${e.reason instanceof Error ? e.reason.message : String(e.reason)}\n`);
      return 1;
    }
    if (e instanceof TraceHeaderError) return fail(`${single?.path ?? ''}: ${e.message}`);
    throw e;
  }
}

/**
 * Several traces (or one rotated recording) through a format, merged on the wall clock (one batch
 * per trace in memory), by the same exportRecords as one file. The format sees the earliest
 * trace's header.
 */
async function exportMerged(sets: TraceSet[], format: ExportFormat, sink: TextSink): Promise<{ records: number; segments: { server: string; report: SegmentReport }[] }> {
  const { records, reader } = await exportRecords(() => mergedSource(sets), format, sink, sets.map((s) => s.server).join('+'));
  return { records, segments: reader.readers.flatMap(({ server, reader: r }) => r.segments.map((report) => ({ server, report }))) };
}

/** The trace sets as one RecordSource: their readers merged by libs/trace's mergeTraces. */
function mergedSource(sets: TraceSet[]): RecordSource & { readers: MergeInput[] } {
  const readers = sets.map((s) => ({ server: s.server, reader: openTraceSet(s, { decodeArgs: false }) }));
  return {
    readers,
    header: () => readers[0]!.reader.header(),
    batches: () => mergeTraces(readers),
    cancel: async () => {
      await Promise.all(readers.map(({ reader }) => reader.cancel()));
    },
  };
}
