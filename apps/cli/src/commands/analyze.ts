import { parseArgs } from 'node:util';
import { analyzeSet } from '../analyze/analyze-set.ts';
import { analysisJson, renderText, totalsJson, type AnalysisJson } from '../analyze/report.ts';
import { expandTraceInputs } from '../fleet/inputs.ts';
import { Progress } from '../fleet/progress.ts';

export const summary = 'request lifecycles: requests, hits, locks leaked or undecided at the end, phase latency, flags';

const HELP = `usage: npm run kvtrace -- analyze TRACE... [--json]

Pairs each trace's calls into requests as LMCache's StorageManager does: a read request is one
submit_prefetch_task with the read (read_prefetched_results enter/exit) and release
(finish_read_prefetched) of the keys it found; a write is reserve_write with its finish_write.
Reports how many requests found keys, which locks may still be held at the end (leaked only where
the trace proves it: a key read and never released; undecided where entry-only records cannot
tell), phase latencies per request, and flags, each with its rule.
TRACE is a file, a folder or a pattern; a rotated recording (NAME.lct, NAME.000001.lct, ...) is one
trace; several traces are analysed each on its own (locks are per server) and totalled.
--json prints one JSON object per trace (phases in milliseconds), then one with the totals when
there are several. A progress bar shows on a terminal while big files are read.
Exit status: 0 when every trace was read, 1 when one could not be, 2 for bad usage.`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`kvtrace analyze: ${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (parsed.positionals.length === 0) {
    process.stderr.write(`kvtrace analyze: no trace given\n\n${HELP}\n`);
    return 2;
  }
  const json = parsed.values.json === true;
  const { sets, warnings, errors } = await expandTraceInputs(parsed.positionals, { keepGoing: true });
  for (const w of warnings) process.stderr.write(`kvtrace analyze: ${w}\n`);
  for (const e of errors) process.stderr.write(`kvtrace analyze: ${e.input}: ${e.message}\n`);
  let ok = errors.length === 0;
  const bar = new Progress('analyze', sets.reduce((n, s) => n + s.bytes, 0));
  const out: AnalysisJson[] = [];
  let before = 0;
  for (const set of sets) {
    const r = await analyzeSet(set, (bytes) => bar.update(before + bytes, set.server));
    before += set.bytes;
    bar.clear();
    const j = analysisJson(r);
    if (r.error) {
      ok = false;
      process.stderr.write(`kvtrace analyze: ${j.file}: ${r.error}\n`);
      if (json) process.stdout.write(JSON.stringify(j) + '\n');
      continue;
    }
    out.push(j);
    process.stdout.write((json ? JSON.stringify(j) : renderText(j) + (sets.length > 1 ? '\n' : '')) + '\n');
  }
  if (out.length > 1) {
    const t = totalsJson(out);
    process.stdout.write(json ? JSON.stringify(t) + '\n' : `all ${t.servers.length} traces: ${t.calls.toLocaleString('en-US')} calls, ${t.lifecycles.reads_leaked} read locks leaked, ${t.lifecycles.reads_undecided} read and ${t.lifecycles.writes_undecided} write locks undecided\n`);
  }
  return ok ? 0 : 1;
}
