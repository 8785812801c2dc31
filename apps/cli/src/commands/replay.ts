import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { TraceHeaderError } from '@kvtrace/trace';
import { DEFAULT_STORAGE_CONFIG, STORAGE_FLAGS, storageConfigFromFlags, storageConfigFromJson, type StorageConfig } from '@kvtrace/server/storage';
import { OutputClosedError, TextSink } from '../export/text-sink.ts';
import { readableTraceSets, type TraceSet } from '../fleet/inputs.ts';
import { openTraceSet } from '../fleet/trace-set.ts';
import { describeDamage } from '../replay/damage.ts';
import type { Outcome } from '../replay/dispatch.ts';
import { ProgressBar } from '../replay/progress.ts';
import { renderComparison, renderReport, reportCsv, reportJson } from '../replay/report.ts';
import { ReplayRefused, assertReplayable, replayTrace, type ReplayResult } from '../replay/run-replay.ts';
import { HttpTarget } from '../replay/target-http.ts';
import { DEFAULT_MAX_OBJECT_BYTES, LocalTarget } from '../replay/target-local.ts';
import type { ReplayTarget } from '../replay/target.ts';
import { complaints } from './complaints.ts';

export const summary = 'replay a trace against a storage manager and measure it (like `lmcache trace replay`)';

const HELP = `usage: npm run kvtrace -- replay TRACE (--l1-size-gb N | --from-header | --url URL) [options]

Feeds a recorded trace (ours or LMCache's, schema 2) back into a storage manager and measures every
call: latency per operation, L1/L2 hit rates, evictions, object bytes stored and read. TRACE is one
trace: a file, or a rotated recording (NAME.lct, NAME.000001.lct, ...: its folder, a pattern or the files).

target (one of):
  --l1-size-gb N          an in-process storage manager with N GiB of L1 (required unless
                          --from-header or --url); with
  --eviction-policy P     LRU (default) or FIFO
  --l2-dir DIR            parent directory of the on-disk L2 (default <tmp>/kvtrace-l2; "none": no L2)
  --l2-size-gb N          L2 capacity (default 4)
  --l2-workers N          concurrent L2 file operations (default 4)
  --l2-max-pending-mb N   L2 write-behind queue bound (default 256)
  --from-header           build the in-process manager from the trace header's config
                          (flags above override single fields); the recorded L2 path is
                          ignored (a trace must not choose where directories are created):
                          L2 goes under --l2-dir, or the default <tmp>/kvtrace-l2
  --max-object-bytes N    fill reserved buffers with real bytes only for objects up to N bytes
                          (default ${DEFAULT_MAX_OBJECT_BYTES}); larger ones are reserved and finished
                          unfilled, and the manager materialises them when read or sent to L2
  --url URL               a running kvtrace server (its HTTP control API); a read scope's
                          enter/exit pair becomes one request at the enter

pacing:
  --speed X               1 (default) honours the recorded gaps, never running ahead (a slow host
                          lags, and the lag behind the schedule is reported: p50, p99, max); 2 is
                          twice as fast; 0 as fast as possible

comparison:
  --compare-config K=V[,K=V...]
                          replay twice: as given (A), and with these storage flags changed (B), e.g.
                          --compare-config l1-size-gb=16, then print the two side by side

reports (besides the table on standard output):
  --csv PATH              per-operation latencies
  --json PATH             everything, as one JSON document
  --jsonl PATH            one line per record: index, qualname, latency_ms, failed (skipped: why)
  -h, --help              this text

Exit status: 0 when every record replayed or was skipped, 1 when a record failed or the file cannot
be replayed, 2 for bad usage.`;
const { usageError } = complaints('replay', 'Run with --help for the options.');

const OPTIONS: NonNullable<ParseArgsConfig['options']> = {
  url: { type: 'string' },
  'from-header': { type: 'boolean' },
  'max-object-bytes': { type: 'string' },
  speed: { type: 'string' },
  'compare-config': { type: 'string' },
  csv: { type: 'string' },
  json: { type: 'string' },
  jsonl: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  ...Object.fromEntries(STORAGE_FLAGS.map((f) => [f, { type: 'string' as const }])),
};

class UsageError extends Error {}

interface Plan {
  file: string;
  speed: number;
  /** One or two targets, each built fresh for its run. */
  runs: { label: string; make: () => ReplayTarget }[];
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS }) as { values: Record<string, string | boolean | undefined>; positionals: string[] });
  } catch (e) {
    return usageError((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length === 0) return usageError('no trace given');
  // One trace: a file, or the segments of one rotated recording (a folder, a pattern or the files).
  const readable = await readableTraceSets(positionals, (w) => process.stderr.write(`kvtrace replay: ${w}\n`));
  if (readable.error !== null) {
    process.stderr.write(`kvtrace replay: ${readable.error}\n`);
    return 1;
  }
  if (readable.sets.length !== 1)
    return usageError(`replay takes one trace (a file, or the segments of one rotated recording); ${positionals.join(' ')} holds ${readable.sets.length}: ${readable.sets.map((s) => s.server).join(', ')}`);
  const set = readable.sets[0]!;
  const file = set.segments.length === 1 ? set.segments[0]!.path : `${set.dir}/${set.recording} (${set.segments.length} segments)`;
  if (set.missing.length > 0) process.stderr.write(`kvtrace replay: segment(s) ${set.missing.join(', ')} of ${set.recording} are not there; replaying the others\n`);

  // Output paths are checked before the replay runs, not after it (a replay can take hours).
  for (const flag of ['csv', 'json'] as const) {
    const path = values[flag];
    if (typeof path !== 'string') continue;
    const problem = unwritable(path);
    if (problem !== null) {
      process.stderr.write(`kvtrace replay: cannot write --${flag} ${path}: ${problem}\n`);
      return 1;
    }
  }

  let plan: Plan;
  try {
    plan = await makePlan(set, file, values);
  } catch (e) {
    if (e instanceof UsageError) return usageError(e.message);
    return refuse(file, e);
  }
  if (plan.speed === 0)
    process.stderr.write(
      'kvtrace replay: warning: --speed 0 runs as fast as possible; asynchronous L2 work (write-behind, loads) gets less time between calls than when recorded, so hit rates and latencies are less faithful\n',
    );

  let jsonl: TextSink | null;
  try {
    jsonl = typeof values.jsonl === 'string' ? TextSink.toFile(values.jsonl) : null;
  } catch (e) {
    process.stderr.write(`kvtrace replay: cannot write --jsonl: ${(e as Error).message}\n`);
    return 1;
  }
  // Ctrl-C or a kill mid-run: close the targets (an in-process manager removes its L2 directory
  // on close) before exiting 130/143, instead of dying with the directory left behind. `once`:
  // a second signal while closing gets the default action, so the user can still force it.
  const live = new Set<ReplayTarget>();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nkvtrace replay: ${signal}: closing the target...\n`);
    void Promise.allSettled([...live].map((t) => t.close())).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await replayRuns(set, file, plan, values, jsonl, (t) => {
      live.add(t);
      return t;
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function replayRuns(
  set: TraceSet,
  file: string,
  plan: Plan,
  values: Record<string, string | boolean | undefined>,
  jsonl: TextSink | null,
  track: (t: ReplayTarget) => ReplayTarget,
): Promise<number> {
  const results: { label: string; result: ReplayResult }[] = [];
  let warnings = 0;
  const warn = (m: string): void => {
    if (++warnings <= 10) process.stderr.write(`kvtrace replay: warning: ${m}\n`);
  };
  try {
    for (const r of plan.runs) {
      const progress = new ProgressBar(set.bytes, plan.runs.length > 1 ? `replay ${r.label}` : 'replay');
      const onRecord = jsonl ? jsonlWriter(jsonl, plan.runs.length > 1 ? r.label : null) : undefined;
      try {
        const result = await replayTrace(openTraceSet(set), track(r.make()), { speed: plan.speed, onWarn: warn, onRecord, onProgress: (b, n) => progress.update(b, n) });
        results.push({ label: r.label, result });
      } finally {
        progress.clear();
      }
    }
    await jsonl?.close();
  } catch (e) {
    await jsonl?.close().catch(() => undefined);
    if (e instanceof OutputClosedError) {
      process.stderr.write(`kvtrace replay: cannot write --jsonl: ${e.message}\n`);
      return 1;
    }
    return refuse(file, e);
  }
  if (warnings > 10) process.stderr.write(`kvtrace replay: ${warnings - 10} more warning(s) not shown\n`);
  for (const line of describeDamage(results[0]!.result.read)) process.stderr.write(`kvtrace replay: ${file}: ${line}\n`);

  const [a, b] = results;
  process.stdout.write((b ? renderComparison(file, [a!.label, b.label], a!.result, b.result) : renderReport(file, a!.result)) + '\n');
  if (typeof values.csv === 'string') await writeFile(values.csv, reportCsv(results));
  if (typeof values.json === 'string') await writeFile(values.json, reportJson(file, results));
  return results.some((r) => r.result.failed > 0) ? 1 : 0;
}

function jsonlWriter(sink: TextSink, label: string | null): (rec: { index: number; qualname: string }, o: Outcome) => Promise<void> | void {
  return (rec, o) => {
    const line: Record<string, unknown> = label === null ? {} : { config: label };
    line.index = rec.index;
    line.qualname = rec.qualname;
    line.latency_ms = o.status === 'replayed' ? o.ms : null;
    line.failed = o.status === 'failed';
    if (o.status === 'failed') line.error = o.error;
    if (o.status === 'skipped') line.skipped = o.reason;
    return sink.write(JSON.stringify(line) + '\n');
  };
}

async function makePlan(set: TraceSet, file: string, values: Record<string, string | boolean | undefined>): Promise<Plan> {
  const speed = values.speed === undefined ? 1 : Number(values.speed);
  if (typeof values.speed === 'string' && (values.speed.trim() === '' || !Number.isFinite(speed) || speed < 0))
    throw new UsageError(`--speed must be a number >= 0 (0: as fast as possible), got ${JSON.stringify(values.speed)}`);
  const maxObjectBytes = values['max-object-bytes'] === undefined ? DEFAULT_MAX_OBJECT_BYTES : Number(values['max-object-bytes']);
  if (!Number.isInteger(maxObjectBytes) || maxObjectBytes < 0) throw new UsageError(`--max-object-bytes must be an integer >= 0, got ${JSON.stringify(values['max-object-bytes'])}`);
  const storageFlags: Record<string, string | undefined> = {};
  for (const f of STORAGE_FLAGS) if (typeof values[f] === 'string') storageFlags[f] = values[f];
  const compare = typeof values['compare-config'] === 'string' ? parseOverrides(values['compare-config']) : null;

  // The header is read first so an unreadable or unreplayable file is refused before any setup.
  const reader = openTraceSet(set);
  const header = await reader.header();
  await reader.cancel();
  assertReplayable(header);

  if (typeof values.url === 'string') {
    if (values['from-header'] || Object.keys(storageFlags).length > 0) throw new UsageError('--url replays against a running server: storage flags and --from-header do not apply');
    if (compare) throw new UsageError('--compare-config needs in-process storage managers (it cannot reconfigure a running server)');
    const url = values.url;
    try {
      new URL(url);
    } catch {
      throw new UsageError(`--url is not a URL: ${JSON.stringify(url)}`);
    }
    let target: HttpTarget;
    try {
      target = await HttpTarget.connect(url, maxObjectBytes);
    } catch (e) {
      throw new ReplayRefused((e as Error).message);
    }
    return { file, speed, runs: [{ label: url, make: () => target }] };
  }

  let base: StorageConfig;
  if (values['from-header']) {
    if (header.sm_config_json === '') throw new UsageError('--from-header: the trace header has no storage-manager config (give --l1-size-gb ...)');
    let recorded: StorageConfig;
    try {
      recorded = storageConfigFromJson(header.sm_config_json);
    } catch (e) {
      // The message names a flag (it is checked as flags), but the value came from the file.
      throw new ReplayRefused(`trace header config: ${(e as Error).message}`);
    }
    // A trace is untrusted: its L2 path must not choose where replay creates directories. Only the
    // sizes and policies are kept; L2 (when it was on) goes under --l2-dir or the default tmp dir.
    recorded = { ...recorded, l2Dir: recorded.l2Dir === null ? null : DEFAULT_STORAGE_CONFIG.l2Dir };
    base = withFlags(recorded, storageFlags);
  } else {
    if (storageFlags['l1-size-gb'] === undefined) throw new UsageError('--l1-size-gb is required for an in-process replay (or use --from-header for the recorded config, or --url for a running server)');
    base = flagsConfig(storageFlags);
  }
  const runs: Plan['runs'] = [{ label: describeConfig(base), make: () => new LocalTarget(base, maxObjectBytes) }];
  if (compare) {
    const other = withFlags(base, compare);
    // Each side is labelled by the flags that differ: "l1-size-gb=1" against "l1-size-gb=4".
    const mine = configFlags(base);
    const theirs = configFlags(other);
    const label = (f: Record<string, string>) => Object.keys(compare).map((k) => `${k}=${f[k]}`).join(',');
    runs[0]!.label = label(mine);
    runs.push({ label: label(theirs), make: () => new LocalTarget(other, maxObjectBytes) });
  }
  return { file, speed, runs };
}

function flagsConfig(flags: Record<string, string | undefined>): StorageConfig {
  try {
    return storageConfigFromFlags(flags);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** A config with some flags changed: the config's own values, as flags, under the changes. */
function withFlags(c: StorageConfig, changes: Record<string, string | undefined>): StorageConfig {
  return flagsConfig({ ...configFlags(c), ...changes });
}

/** A config as the flags that would build it. */
function configFlags(c: StorageConfig): Record<string, string> {
  return {
    'l1-size-gb': String(c.l1SizeGb),
    'eviction-policy': c.evictionPolicy,
    'l2-dir': c.l2Dir ?? 'none',
    'l2-size-gb': String(c.l2SizeGb),
    'l2-workers': String(c.l2Workers),
    'l2-max-pending-mb': String(c.l2MaxPendingBytes / 2 ** 20),
  };
}

function describeConfig(c: StorageConfig): string {
  return `L1 ${c.l1SizeGb} GiB ${c.evictionPolicy}`;
}

function parseOverrides(spec: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of spec.split(',')) {
    const m = /^\s*(?:--)?([a-z0-9-]+)\s*=(.*)$/.exec(part);
    if (!m) throw new UsageError(`--compare-config: expected K=V[,K=V...] with storage flags (${STORAGE_FLAGS.join(', ')}), got ${JSON.stringify(part)}`);
    const k = m[1]!;
    if (!(STORAGE_FLAGS as readonly string[]).includes(k)) throw new UsageError(`--compare-config: unknown storage flag ${JSON.stringify(k)} (known: ${STORAGE_FLAGS.join(', ')})`);
    out[k] = m[2]!.trim();
  }
  if (Object.keys(out).length === 0) throw new UsageError('--compare-config: no change given');
  return out;
}

function refuse(file: string, e: unknown): number {
  if (e instanceof TraceHeaderError || e instanceof ReplayRefused) {
    process.stderr.write(`kvtrace replay: ${file}: ${e.message}\n`);
    return 1;
  }
  throw e;
}


/** Why a report file cannot be written at `path` (its folder missing or read-only, a folder in its place), else null. */
function unwritable(path: string): string | null {
  const dir = dirname(resolve(path));
  if (!existsSync(dir)) return `the folder ${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
  if (existsSync(path) && statSync(path).isDirectory()) return 'it is a folder';
  try {
    accessSync(existsSync(path) ? path : dir, constants.W_OK);
  } catch {
    return `${existsSync(path) ? path : dir} is not writable`;
  }
  return null;
}
