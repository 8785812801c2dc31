import type { CallIndex } from './call-index.ts';
import type { LifecycleTracker } from './lifecycle.ts';
import { argsToJson } from './to-json.ts';
import type { RecordSource } from './types.ts';

export interface ChromeTraceOptions {
  /** Process name shown by Perfetto (default "kvtrace"). */
  processName?: string;
  /** With a source and includeArgs, each instant event carries the call's decoded arguments (big). */
  source?: RecordSource;
  includeArgs?: boolean;
  /** Events per yielded chunk (default 2000). */
  eventsPerChunk?: number;
  /** Put into otherData (e.g. the header's t_wall_start, the file name). */
  otherData?: Record<string, string | number>;
}

const PID = 1;
/** Lifecycle lanes get thread ids above every method's (method id + 1). */
const LANE_TID_BASE = 1_000_000;
/** Microseconds on a 1 ns grid, so a child's end never exceeds its parent's once Perfetto converts to ns. */
const us = (t: number): number => Math.round(t * 1e9) / 1e3;
const ns3 = (d: number): number => Math.max(0, Math.round(d * 1e3) / 1e3);

/**
 * The trace as Chrome trace-event JSON (the object form, which Perfetto and chrome://tracing open),
 * yielded in pieces so a worker can stream it into a Blob. Calls are thread-scoped instant events,
 * one thread per method. Lifecycles are complete ('X') events grouped by call (one span per
 * reserve/finish pair, not per key, with the key count in args); a read nests its wait/body/release
 * phases. Perfetto drops overlapping slices on one thread, so spans are packed into lanes
 * (first-fit by start time), each lane a thread. Leaked lifecycles run to the last call.
 */
export function* chromeTraceChunks(index: CallIndex, lifecycle: LifecycleTracker | null, options: ChromeTraceOptions = {}): Generator<string> {
  const per = options.eventsPerChunk ?? 2000;
  const withArgs = options.includeArgs === true && options.source !== undefined;
  let buf: string[] = [];
  let first = true;
  function* emit(ev: string): Generator<string> {
    buf.push(ev);
    if (buf.length >= per) {
      yield (first ? '' : ',') + buf.join(',');
      first = false;
      buf = [];
    }
  }

  yield `{"displayTimeUnit":"ms","otherData":${JSON.stringify({ producer: 'kvtrace', ...options.otherData })},"traceEvents":[`;
  yield* emit(meta('process_name', 0, { name: options.processName ?? 'kvtrace' }));
  for (let m = 0; m < index.methods.size; m++) {
    yield* emit(meta('thread_name', m + 1, { name: index.methods.shortName(m) }));
    yield* emit(meta('thread_sort_index', m + 1, { sort_index: m }));
  }
  const { method, time, recordIndex, keyOff } = index.columns();
  const n = method.length;
  let tLast = 0;
  for (let c = 0; c < n; c++) {
    const m = method[c]!;
    if (time[c]! > tLast) tLast = time[c]!;
    let args = `{"call":${c},"record":${recordIndex[c]},"keys":${keyOff[c + 1]! - keyOff[c]!}`;
    if (withArgs) args += `,"args":${JSON.stringify(argsToJson(options.source!.record(recordIndex[c]!).args()))}`;
    yield* emit(`{"name":${JSON.stringify(index.methods.shortName(m))},"cat":"call","ph":"i","s":"t","ts":${us(time[c]!)},"pid":${PID},"tid":${m + 1},"args":${args}}}`);
  }

  if (lifecycle) {
    const g = lifecycle.groups();
    const startOf = (i: number) => (g.start[i]! !== -1 ? g.start[i]! : g.enter[i]!);
    const tOf = (c: number) => time[c]!;
    const order = Uint32Array.from({ length: g.length }, (_, i) => i).sort((x, y) => tOf(startOf(x)) - tOf(startOf(y)) || x - y);
    const lanes: { kind: number; end: number; tid: number }[] = [];
    for (let j = 0; j < order.length; j++) {
      const i = order[j]!;
      const kind = g.kind[i]!;
      const s = startOf(i);
      const leaked = g.end[i]! === -1;
      const t0 = tOf(s);
      const t1 = Math.max(t0, leaked ? tLast : tOf(g.end[i]!));
      let lane = lanes.find((l) => l.kind === kind && l.end <= t0);
      if (!lane) {
        lane = { kind, end: t1, tid: LANE_TID_BASE + lanes.length };
        lanes.push(lane);
      }
      lane.end = t1;
      const ts = us(t0), tEnd = us(t1), dur = ns3(tEnd - ts);
      const name = kind === 0 ? (leaked ? 'write (never finished)' : 'write') : leaked ? 'read (never released)' : 'read';
      const calls: Record<string, number> = kind === 0 ? { reserve: g.start[i]!, finish: g.end[i]! } : { prefetch: g.start[i]!, enter: g.enter[i]!, exit: g.exit[i]!, finish: g.end[i]! };
      yield* emit(x(name, ts, dur, lane.tid, { keys: g.keys[i]!, leaked, ...calls }));
      if (kind === 1) {
        const phases: [string, number, number][] = [
          ['wait', g.start[i]!, g.enter[i]!],
          ['body', g.enter[i]!, g.exit[i]!],
          ['release', g.exit[i]!, g.end[i]!],
        ];
        for (const [pname, a, b] of phases) {
          if (a === -1 || b === -1) continue;
          const pts = us(tOf(a)), pend = us(tOf(b));
          // A child must lie inside its parent or Perfetto misnests it (clock steps in the file).
          if (pts < ts || pend > tEnd || pend < pts) continue;
          yield* emit(x(pname, pts, ns3(pend - pts), lane.tid, {}));
        }
      }
    }
    for (const l of lanes) {
      const label = l.kind === 0 ? 'write lifecycles' : 'read lifecycles';
      yield* emit(meta('thread_name', l.tid, { name: `${label} ${l.tid - LANE_TID_BASE}` }));
      yield* emit(meta('thread_sort_index', l.tid, { sort_index: l.tid }));
    }
  }
  if (buf.length > 0) yield (first ? '' : ',') + buf.join(',');
  yield ']}';
}

export const chromeTrace = (index: CallIndex, lifecycle: LifecycleTracker | null, options?: ChromeTraceOptions): string =>
  [...chromeTraceChunks(index, lifecycle, options)].join('');

function meta(name: string, tid: number, args: Record<string, string | number>): string {
  return `{"name":"${name}","ph":"M","pid":${PID},"tid":${tid},"args":${JSON.stringify(args)}}`;
}

function x(name: string, ts: number, dur: number, tid: number, args: Record<string, number | boolean>): string {
  return `{"name":"${name}","cat":"lifecycle","ph":"X","ts":${ts},"dur":${dur},"pid":${PID},"tid":${tid},"args":${JSON.stringify(args)}}`;
}
