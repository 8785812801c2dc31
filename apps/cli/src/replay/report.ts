import { basename } from 'node:path';
import { formatTable } from '../format/table.ts';
import type { ReplayResult } from './run-replay.ts';
import type { LatencySummary } from './stats.ts';

/** Operations in the order a request meets them, then any others. */
const OP_ORDER = ['reserve_write', 'finish_write', 'submit_prefetch_task', 'read_prefetched_results.__enter__', 'read_prefetched_results.__exit__', 'finish_read_prefetched'];
const LAT_FIELDS = ['mean', 'p50', 'p90', 'p99', 'min', 'max'] as const;

export function orderedOps(ops: Record<string, LatencySummary>): string[] {
  const rank = (op: string) => (OP_ORDER.includes(op) ? OP_ORDER.indexOf(op) : OP_ORDER.length);
  return Object.keys(ops).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export const ms = (v: number): string => (Number.isFinite(v) ? (v >= 100 ? v.toFixed(1) : v.toFixed(3)) : '-');
export const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '-');

export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

function latencyTable(r: ReplayResult): string {
  const rows = orderedOps(r.ops).map((op) => {
    const s = r.ops[op]!;
    return [op, String(s.count + s.errors), String(s.errors), ...LAT_FIELDS.map((f) => ms(s[f]))];
  });
  return formatTable(['operation', 'count', 'errors', ...LAT_FIELDS.map((f) => `${f} ms`)], rows, { indent: 2, align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'] });
}

function recordsLine(r: ReplayResult): string {
  const reasons = Object.entries(r.skipReasons).map(([k, n]) => `${k}: ${n}`);
  return `${r.records} read: ${r.replayed} replayed, ${r.skipped} skipped${reasons.length ? ` (${reasons.join('; ')})` : ''}, ${r.failed} failed`;
}

function configLine(r: ReplayResult): string {
  const c = r.config;
  const short = (d: string | null) => (d ? d.slice(0, 12) : '-');
  switch (c.match) {
    case 'match':
      return `the recorded one (digest ${short(c.traceDigest)})`;
    case 'mismatch': {
      const which = c.differs.length > 0 ? ` in ${c.differs.join(', ')}` : '';
      return `differs from the recorded one${which} (digest: trace ${short(c.traceDigest)}, target ${short(c.targetDigest)}); results describe the target's config`;
    }
    default:
      return c.match;
  }
}

function hitLine(rate: number, hits: number, misses: number): string {
  return hits + misses === 0 ? '- (no lookups)' : `${pct(rate)} (${hits} hits, ${misses} misses)`;
}

function timingLine(r: ReplayResult): string {
  const pace = r.speed === 0 ? 'as fast as possible' : `speed ${r.speed}x`;
  const lag = r.speed === 0 ? '' : `; behind schedule: p50 ${ms(r.lag.p50Ms)} ms, p99 ${ms(r.lag.p99Ms)} ms, max ${ms(r.lag.maxMs)} ms`;
  return `${pace}: ${r.traceSeconds.toFixed(3)} s of trace in ${r.wallSeconds.toFixed(3)} s (${Math.round(r.recordsPerSecond)} records/s)${lag}`;
}

/** The terminal report of one replay. */
export function renderReport(file: string, r: ReplayResult): string {
  const s = r.stats;
  const lines = [
    `replay of ${basename(file)}`,
    `  target:         ${r.target}`,
    `  timing:         ${timingLine(r)}`,
    '',
    latencyTable(r),
    '',
    `  records:        ${recordsLine(r)}`,
    `  L1 hit rate:    ${hitLine(r.l1HitRate, s.l1_hits, s.l1_misses)}`,
    `  L2 hit rate:    ${r.hasL2 === false ? '- (no L2)' : hitLine(r.l2HitRate, s.l2_hits, s.l2_misses)}`,
    `  evictions:      ${s.evictions}`,
    `  object bytes:   ${bytes(s.bytes_written)} stored by finish_write, ${bytes(s.bytes_read)} handed to reads (object sizes from the layouts)`,
    `  data filled:    ${bytes(r.dataBytes)} written into reserved buffers${r.dataBytes === 0 && s.bytes_written > 0 ? ' (objects over --max-object-bytes are stored without their bytes)' : ''}`,
    `  config:         ${configLine(r)}`,
  ];
  if (r.closedAtEnd) lines.push(`  still open:     ${r.closedAtEnd} read scope(s) open at the end of the trace were closed`);
  for (const f of r.failures.slice(0, 5)) lines.push(`  failure:        record ${f.index} ${f.op}: ${f.error}`);
  if (r.failed > 5) lines.push(`                  (${r.failed - 5} more failures, see --json or --jsonl)`);
  return lines.join('\n');
}

const delta = (a: number, b: number, fmt: (v: number) => string): string => {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return '';
  if (a === b) return '=';
  return a === 0 ? `+${fmt(b)}` : `${b > a ? '+' : ''}${(((b - a) / Math.abs(a)) * 100).toFixed(1)}%`;
};

/** Two replays of one trace side by side: the "what if the cache were different" view. */
export function renderComparison(file: string, labels: [string, string], a: ReplayResult, b: ReplayResult): string {
  const row = (name: string, va: number, vb: number, fmt: (v: number) => string, diff: 'rel' | 'pts' = 'rel'): string[] => [
    name,
    fmt(va),
    fmt(vb),
    diff === 'pts' ? (Number.isFinite(va) && Number.isFinite(vb) ? `${vb - va >= 0 ? '+' : ''}${(100 * (vb - va)).toFixed(1)} pts` : '') : delta(va, vb, fmt),
  ];
  const n = (v: number) => String(v);
  const rows: string[][] = [
    row('L1 hit rate', a.l1HitRate, b.l1HitRate, pct, 'pts'),
    row('L2 hit rate', a.hasL2 === false ? NaN : a.l2HitRate, b.hasL2 === false ? NaN : b.l2HitRate, pct, 'pts'),
    row('objects read / requested', a.readRequested ? a.readFound / a.readRequested : NaN, b.readRequested ? b.readFound / b.readRequested : NaN, pct, 'pts'),
    row('evictions', a.stats.evictions, b.stats.evictions, n),
    row('bytes written', a.stats.bytes_written, b.stats.bytes_written, bytes),
    row('bytes read', a.stats.bytes_read, b.stats.bytes_read, bytes),
    row('replayed', a.replayed, b.replayed, n),
    row('skipped', a.skipped, b.skipped, n),
    row('failed', a.failed, b.failed, n),
  ];
  for (const op of orderedOps({ ...a.ops, ...b.ops })) {
    for (const f of ['p50', 'p99'] as const) rows.push(row(`${op} ${f} ms`, a.ops[op]?.[f] ?? NaN, b.ops[op]?.[f] ?? NaN, ms));
  }
  return [
    `replay of ${basename(file)}, two configurations`,
    `  A: ${a.target}`,
    `     config digest ${configLine(a)}; ${timingLine(a)}`,
    `  B: ${b.target}`,
    `     config digest ${configLine(b)}; ${timingLine(b)}`,
    '',
    formatTable(['', `A ${labels[0]}`, `B ${labels[1]}`, 'B vs A'], rows, { indent: 2, align: ['l', 'r', 'r', 'r'] }),
  ].join('\n');
}

/** Per-operation CSV (one header row; a `config` column names the run). */
export function reportCsv(runs: { label: string; result: ReplayResult }[]): string {
  const head = ['config', 'operation', 'count', 'errors', ...LAT_FIELDS.map((f) => `${f}_ms`)];
  const lines = [head.join(',')];
  for (const { label, result } of runs)
    for (const op of orderedOps(result.ops)) {
      const s = result.ops[op]!;
      lines.push([csvCell(label), op, s.count + s.errors, s.errors, ...LAT_FIELDS.map((f) => (Number.isFinite(s[f]) ? String(s[f]) : ''))].join(','));
    }
  return lines.join('\r\n') + '\r\n';
}

const csvCell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);

/** The whole result as JSON (NaN becomes null). */
export function reportJson(file: string, runs: { label: string; result: ReplayResult }[]): string {
  const out = {
    file,
    runs: runs.map(({ label, result }) => {
      const { header, read, ...rest } = result;
      return {
        label,
        ...rest,
        header: { trace_schema_version: header.trace_schema_version, sm_config_digest: header.sm_config_digest, sm_config_json: header.sm_config_json, t_wall_start: header.t_wall_start },
        read: { records: read.records, malformed: read.malformed, truncated: read.truncated },
      };
    }),
  };
  return JSON.stringify(out, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}
