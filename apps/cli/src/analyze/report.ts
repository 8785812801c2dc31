import { FLAG_KINDS, FLAG_RULES, PHASES, type DurationStats, type FlagKind, type PhaseName, type RequestSummary } from '@kvtrace/trace';
import { formatTable } from '../format/table.ts';
import type { AnalyzedSet } from './analyze-set.ts';

/** `kvtrace analyze --json`: one object per trace (the issue's shape; phases in milliseconds). */
export interface AnalysisJson {
  file: string;
  server: string;
  calls: number;
  requests: RequestSummary['requests'];
  lifecycles: RequestSummary['lifecycles'];
  /** Distinct keys per flag kind. */
  flags: Record<FlagKind, number>;
  phases: Record<PhaseName, { count: number; p50_ms: number | null; p90_ms: number | null; p99_ms: number | null; max_ms: number | null }>;
  /** Lifecycle calls whose keys were in no known shape (left out of the analysis). */
  unknown_shape: number;
  error?: string;
}

const ms = (s: number): number | null => (Number.isFinite(s) ? Math.round(s * 1e6) / 1e3 : null);

export function analysisJson(r: AnalyzedSet): AnalysisJson {
  const s = r.analyzer.summary();
  const phases = {} as AnalysisJson['phases'];
  for (const p of PHASES) {
    const d: DurationStats = s.phases[p];
    phases[p] = { count: d.count, p50_ms: ms(d.p50), p90_ms: ms(d.p90), p99_ms: ms(d.p99), max_ms: ms(d.max) };
  }
  return {
    file: r.set.segments[0]?.path ?? r.set.dir,
    server: r.set.server,
    calls: r.analyzer.length,
    requests: s.requests,
    lifecycles: s.lifecycles,
    flags: s.flagCounts,
    phases,
    unknown_shape: s.unknownShape,
    ...(r.error ? { error: r.error } : {}),
  };
}

/** Several traces: the sums (locks are per server, so keys add up across servers). */
export function totalsJson(all: AnalysisJson[]): Omit<AnalysisJson, 'file' | 'server' | 'phases' | 'error'> & { servers: string[] } {
  const sum = <T extends object>(pick: (a: AnalysisJson) => T): T => {
    const out: Record<string, number> = {};
    for (const a of all) for (const [k, v] of Object.entries(pick(a)) as [string, number][]) out[k] = (out[k] ?? 0) + v;
    return out as T;
  };
  return {
    servers: all.map((a) => a.server),
    calls: all.reduce((n, a) => n + a.calls, 0),
    requests: sum((a) => a.requests),
    lifecycles: sum((a) => a.lifecycles),
    flags: sum((a) => a.flags),
    unknown_shape: all.reduce((n, a) => n + a.unknown_shape, 0),
  };
}

const n = (v: number) => v.toLocaleString('en-US');
const msText = (v: number | null) => (v === null ? '-' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v >= 10 ? 1 : 3)} ms`);

/** The short text report: requests, locks at the end, flags with their rule, phase latency. */
export function renderText(j: AnalysisJson): string {
  const lines = [`${j.file}${j.server ? `  (${j.server})` : ''}`];
  if (j.error) return [...lines, `  error: ${j.error}`].join('\n');
  const r = j.requests, l = j.lifecycles;
  lines.push(
    `  calls:     ${n(j.calls)}`,
    `  requests:  ${n(r.total)} reads (${n(r.with_hits)} with hits, ${n(r.all_miss)} all miss, ${n(r.undecided)} undecided${r.warm ? `, ${n(r.warm)} warm` : ''}${r.unpaired_reads ? `; ${n(r.unpaired_reads)} reads unpaired` : ''}), ${n(r.writes)} writes`,
    '',
    formatTable(
      ['locks at the end (keys)', 'paired', 'leaked', 'undecided', 'other'],
      [
        ['read', n(l.reads_paired), n(l.reads_leaked), n(l.reads_undecided), `${n(l.misses)} missed`],
        ['write', n(l.writes_paired), n(l.writes_leaked), n(l.writes_undecided), `${n(l.writes_refused)} refused`],
      ],
      { indent: 2, align: ['l', 'r', 'r', 'r', 'l'] },
    ),
    '',
    formatTable(
      ['phase (per request)', 'count', 'p50', 'p90', 'p99', 'max'],
      PHASES.map((p) => {
        const d = j.phases[p];
        return [p, n(d.count), msText(d.p50_ms), msText(d.p90_ms), msText(d.p99_ms), msText(d.max_ms)];
      }),
      { indent: 2, align: ['l', 'r', 'r', 'r', 'r', 'r'] },
    ),
  );
  const raised = FLAG_KINDS.filter((k) => j.flags[k] > 0);
  lines.push('', raised.length === 0 ? '  flags:     none' : '  flags (keys):');
  for (const k of raised) lines.push(`    ${k}: ${n(j.flags[k])}`, `      ${FLAG_RULES[k]}`);
  if (j.unknown_shape > 0) lines.push(`  ${n(j.unknown_shape)} lock calls had no recognisable keys and were left out`);
  return lines.join('\n');
}
