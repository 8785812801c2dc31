import { REPLAYABLE_SCHEMA_VERSIONS, SegmentedTraceReader, TraceReader, digestMatches, sha256Hex, type ReadReport, type TraceHeader, type TraceRecord } from '@kvtrace/trace';
import { Dispatcher, type Outcome } from './dispatch.ts';
import { InOrder } from './in-order.ts';
import { Pacer, realClock, type ReplayClock } from './pacer.ts';
import { OpStats, type LatencySummary } from './stats.ts';
import type { ReplayTarget, TargetStats } from './target.ts';

/** The trace cannot be replayed at all (not a damaged record: the whole file). */
export class ReplayRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayRefused';
  }
}

export function assertReplayable(header: TraceHeader): void {
  if (!REPLAYABLE_SCHEMA_VERSIONS.includes(header.trace_schema_version))
    throw new ReplayRefused(
      header.trace_schema_version === 1
        ? 'trace schema version 1 cannot be replayed: its keys lack cache_salt, so the objects it names cannot be rebuilt faithfully (re-record with schema 2; `kvtrace info` and `kvtrace export` still read it)'
        : `trace schema version ${header.trace_schema_version} cannot be replayed (replayable: ${REPLAYABLE_SCHEMA_VERSIONS.join(', ')})`,
    );
}

export type ConfigMatch = 'match' | 'mismatch' | 'no config in trace' | 'target config unknown';

export interface ReplayResult {
  target: string;
  speed: number;
  header: TraceHeader;
  records: number;
  replayed: number;
  skipped: number;
  failed: number;
  skipReasons: Record<string, number>;
  /** The first failures (at most 20), for the report. */
  failures: { index: number; op: string; error: string }[];
  unpairedExits: number;
  closedAtEnd: number;
  ops: Record<string, LatencySummary>;
  stats: TargetStats;
  l1HitRate: number;
  l2HitRate: number;
  hasL2: boolean | null;
  /** Bytes written into reserved buffers by the replay's data path. */
  dataBytes: number;
  readFound: number;
  readRequested: number;
  reserveOutcomes: Record<string, number>;
  /** `differs`: the config's top-level settings whose values differ between the trace and the target (or are on one side only). */
  config: { match: ConfigMatch; traceDigest: string; targetDigest: string | null; differs: string[] };
  traceSeconds: number;
  wallSeconds: number;
  recordsPerSecond: number;
  /** How late records were issued against the scaled recorded schedule (speed > 0), in ms. */
  lag: { maxMs: number; meanMs: number; p50Ms: number; p99Ms: number };
  read: ReadReport;
}

export interface ReplayOptions {
  speed: number;
  onWarn?: (message: string) => void;
  /** Per record, in order (the JSON-lines report). */
  onRecord?: (rec: TraceRecord, outcome: Outcome) => void | Promise<void>;
  /** Now and then: bytes of the file read so far. */
  onProgress?: (bytesRead: number, records: number) => void;
  /** Time for pacing and latencies (tests inject a fake one). */
  clock?: ReplayClock;
}

/**
 * The target's config against the recorded one: the digests, and which settings differ (a replay
 * from the header keeps the sizes and policies it models, but not settings it has no model of,
 * such as chunk_size, nor the recorded L2 path: the report names them instead of a bare mismatch).
 */
export function compareConfig(header: TraceHeader, targetJson: string | null): ReplayResult['config'] {
  const targetDigest = targetJson === null ? null : sha256Hex(targetJson);
  if (header.sm_config_digest === '' && header.sm_config_json === '') return { match: 'no config in trace', traceDigest: '', targetDigest, differs: [] };
  if (targetJson === null) return { match: 'target config unknown', traceDigest: header.sm_config_digest, targetDigest, differs: [] };
  const match = digestMatches(targetJson, header.sm_config_digest);
  return { match: match ? 'match' : 'mismatch', traceDigest: header.sm_config_digest, targetDigest, differs: match ? [] : differingSettings(header.sm_config_json, targetJson) };
}

/** Top-level keys of two JSON objects whose values differ (compared as parsed JSON, so 8.0 equals 8). */
function differingSettings(a: string, b: string): string[] {
  let x: Record<string, unknown>;
  let y: Record<string, unknown>;
  try {
    x = JSON.parse(a) as Record<string, unknown>;
    y = JSON.parse(b) as Record<string, unknown>;
  } catch {
    return [];
  }
  if (x === null || y === null || typeof x !== 'object' || typeof y !== 'object') return [];
  const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
  return keys.filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}

const ratio = (a: number, b: number): number => (a + b === 0 ? NaN : a / (a + b));

/**
 * Feeds a trace to a target, paced, and measures it. Header problems throw TraceHeaderError, an
 * unreplayable schema ReplayRefused; everything about single records is counted, never thrown.
 */
/** What replayTrace reads: one file's TraceReader, or a rotated recording's SegmentedTraceReader. */
type RecordReader = Pick<TraceReader, 'header' | 'cancel' | 'report'> & { batches(): AsyncIterable<readonly TraceRecord[]> };

export async function replayTrace(source: ReadableStream<Uint8Array> | SegmentedTraceReader, target: ReplayTarget, options: ReplayOptions): Promise<ReplayResult> {
  const reader: RecordReader = source instanceof SegmentedTraceReader ? source : new TraceReader(source);
  const header = await reader.header();
  try {
    assertReplayable(header);
  } catch (e) {
    await reader.cancel();
    throw e;
  }
  const clock = options.clock ?? realClock;
  const pacer = new Pacer(options.speed, clock);
  const dispatcher = new Dispatcher(target, options.onWarn, () => clock.now());
  const ops = new OpStats();
  const skipReasons: Record<string, number> = {};
  const failures: ReplayResult['failures'] = [];
  let records = 0;
  let replayed = 0;
  let skipped = 0;
  let failed = 0;
  let unpairedExits = 0;
  let firstT: number | null = null;
  let lastT = 0;
  const count = (rec: TraceRecord | null, o: Outcome): void => {
    if (o.status === 'skipped') {
      skipped++;
      skipReasons[o.reason] = (skipReasons[o.reason] ?? 0) + 1;
      if (o.reason === 'exit without an enter') unpairedExits++;
      return;
    }
    const s = ops.get(o.op);
    if (o.status === 'failed') {
      failed++;
      s.errors++;
      if (failures.length < 20) failures.push({ index: rec?.index ?? -1, op: o.op, error: o.error });
      return;
    }
    s.add(o.ms);
    // Scopes closed at the end are timed with their operation but are not records of the file.
    if (rec !== null) replayed++;
  };

  // Counted (and reported to onRecord) in trace order. When the target lets waits overlap, a call
  // still waiting (a read on its L2 load) does not hold up records on other keys.
  const overlap = target.overlapsWaits === true;
  const outcomes = new InOrder<TraceRecord, Outcome>((rec, o) => {
    count(rec, o);
    return options.onRecord?.(rec, o);
  });
  const started = clock.now();
  let lastProgress = started;
  try {
    for await (const batch of reader.batches()) {
      for (const rec of batch) {
        records++;
        firstT ??= rec.t_mono;
        lastT = rec.t_mono;
        // Awaited only when it is a promise: an in-process replay of due records runs without an
        // event-loop turn per record (the pacer yields every few hundred at speed 0 for L2 work).
        const due = pacer.wait(rec.t_mono);
        if (due instanceof Promise) await due;
        let outcome = dispatcher.handle(rec);
        if (outcome instanceof Promise && !overlap) outcome = await outcome;
        const delivered = outcomes.add(rec, outcome);
        if (delivered instanceof Promise) await delivered;
      }
      if (outcomes.waiting > 0) await outcomes.flush();
      if (options.onProgress && clock.now() - lastProgress > 100) {
        lastProgress = clock.now();
        options.onProgress(reader.report.bytesRead, records);
      }
    }
    await dispatcher.idle();
    await outcomes.flush();
    const closing = await dispatcher.closeOpen();
    for (const o of closing) count(null, o);
    const stats = await target.finish();
    const wallSeconds = (clock.now() - started) / 1000;
    const lags = pacer.lags.summary();
    return {
      target: target.description,
      speed: options.speed,
      header,
      records,
      replayed,
      skipped,
      failed,
      skipReasons,
      failures,
      unpairedExits,
      closedAtEnd: closing.length,
      ops: ops.summaries(),
      stats,
      l1HitRate: ratio(stats.l1_hits, stats.l1_misses),
      l2HitRate: ratio(stats.l2_hits, stats.l2_misses),
      hasL2: target.hasL2 ?? null,
      dataBytes: dispatcher.dataBytes,
      readFound: dispatcher.readsFound,
      readRequested: dispatcher.readsRequested,
      reserveOutcomes: Object.fromEntries(dispatcher.reserveOutcomes),
      config: compareConfig(header, target.configJson),
      traceSeconds: firstT === null ? 0 : lastT - firstT,
      wallSeconds,
      recordsPerSecond: records / Math.max(wallSeconds, 1e-9),
      lag: { maxMs: pacer.maxLagMs, meanMs: pacer.meanLagMs, p50Ms: pacer.paced ? lags.p50 : 0, p99Ms: pacer.paced ? lags.p99 : 0 },
      read: reader.report,
    };
  } finally {
    await reader.cancel();
    await target.close();
  }
}
