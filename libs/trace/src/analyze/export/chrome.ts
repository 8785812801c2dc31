import { spanT0, spanT1, spanTEnter, spanTExit } from '../request-report.ts';
import { SPAN_STATUS_NAMES, SpanKind, type RequestSpans } from '../types.ts';
import type { ExportRow } from './row.ts';

export interface ChromeTraceOptions {
  /** Process name shown by Perfetto (default "kvtrace"). */
  processName?: string;
  /** Put into otherData (the file name, the header's start time). */
  otherData?: Record<string, string | number>;
}

/** The options every kvtrace Chrome export uses for a trace named `source` (CLI and inspector alike). */
export function chromeTraceOptions(source: string, header: { t_wall_start: number } | null): ChromeTraceOptions {
  return { processName: `kvtrace ${source}`, otherData: header ? { trace: source, t_wall_start: header.t_wall_start } : { trace: source } };
}

const PID = 1;
/** Request-span lanes get thread ids above every method's. */
const LANE_TID_BASE = 1_000_000;
/** Microseconds on a 1 ns grid, so a child's end never exceeds its parent's once Perfetto converts to ns. */
const us = (t: number): number => Math.round(t * 1e9) / 1e3;
const dur = (a: number, b: number): number => Math.max(0, Math.round((b - a) * 1e3) / 1e3);

/**
 * Chrome trace-event JSON (the object form Perfetto and chrome://tracing open), written in pieces
 * as the calls stream by, by the CLI and the inspector alike (the same bytes for the same trace):
 * every call an instant event on its method's thread carrying all its arguments; at the end, the
 * request spans (analysis: request-tracker.ts) as complete events, a read with its wait, read
 * (the read_prefetched_results scope) and release phases nested, a write from reserve to finish.
 * Perfetto drops overlapping slices on one thread, so spans are packed into lanes (first fit by
 * start), each lane a thread. Spans still open run to the last call.
 */
export class ChromeTraceWriter {
  private first = true;
  private readonly threads = new Map<string, number>();
  /** Several traces: one process per server (pid 1 is the first; a single trace has only it). */
  private readonly pids = new Map<string, number>();
  private lastT = 0;

  constructor(private readonly options: ChromeTraceOptions = {}) {}

  begin(): string {
    return (
      `{"displayTimeUnit":"ms","otherData":${JSON.stringify({ producer: 'kvtrace', ...this.options.otherData })},"traceEvents":[\n` +
      this.event(meta('process_name', 0, { name: this.options.processName ?? 'kvtrace' }))
    );
  }

  /** One call (in call order). */
  call(r: ExportRow): string {
    if (r.t_mono > this.lastT) this.lastT = r.t_mono;
    let out = '';
    let pid = this.pids.get(r.server);
    if (pid === undefined) {
      pid = PID + this.pids.size;
      this.pids.set(r.server, pid);
      if (pid !== PID) out += this.event(meta('process_name', 0, { name: `${this.options.processName ?? 'kvtrace'} ${r.server}` }, pid));
    }
    const thread = `${pid}\u0000${r.method}`;
    let tid = this.threads.get(thread);
    if (tid === undefined) {
      tid = this.threads.size + 1;
      this.threads.set(thread, tid);
      out += this.event(meta('thread_name', tid, { name: r.method }, pid)) + this.event(meta('thread_sort_index', tid, { sort_index: tid }, pid));
    }
    const args = {
      call: r.call,
      record: r.record,
      keys: r.keys,
      ...(r.server ? { server: r.server } : {}),
      ...(r.external_request_id ? { external_request_id: r.external_request_id } : {}),
      ...(r.args_error === null ? { args: r.args } : { args_error: r.args_error }),
    };
    return out + this.event(`{"name":${JSON.stringify(r.method)},"cat":"call","ph":"i","s":"t","ts":${us(r.t_mono)},"pid":${pid},"tid":${tid},"args":${JSON.stringify(args)}}`);
  }

  /** The request spans, then the end of the document. `erid` names a span's external_request_id id. */
  end(spans: RequestSpans, erid: (id: number) => string): string {
    let out = '';
    const n = spans.length;
    const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => spanT0(spans, x) - spanT0(spans, y) || x - y);
    const lanes: { kind: number; end: number; tid: number }[] = [];
    for (const s of order) {
      const kind = spans.kind[s]!;
      const t0 = spanT0(spans, s);
      const open = Number.isNaN(spanT1(spans, s));
      const t1 = Math.max(t0, open ? this.lastT : spanT1(spans, s));
      let lane = lanes.find((l) => l.kind === kind && l.end <= t0);
      if (!lane) {
        lane = { kind, end: t1, tid: LANE_TID_BASE + lanes.length };
        lanes.push(lane);
      }
      lane.end = t1;
      const read = kind === SpanKind.read;
      const status = SPAN_STATUS_NAMES[spans.status[s]!]!;
      const args: Record<string, string | number> = { span: s, status, keys: spans.keys[s]!, found: spans.found[s]! };
      const id = erid(spans.erid[s]!);
      if (id) args['external_request_id'] = id;
      const calls: [string, number][] = [[read ? 'submit' : 'reserve', spans.start[s]!], ['enter', spans.enter[s]!], ['exit', spans.exit[s]!], ['finish', spans.end[s]!]];
      for (const [name, c] of calls) if (c >= 0) args[name] = c;
      out += this.event(complete(`${read ? 'read' : 'write'} (${status})`, 'request', us(t0), dur(us(t0), us(t1)), lane.tid, args));
      if (!read) continue;
      const phases: [string, number, number][] = [
        ['wait', spanT0(spans, s), spanTEnter(spans, s)],
        ['read_prefetched_results', spanTEnter(spans, s), spanTExit(spans, s)],
        ['release', spanTExit(spans, s), spanT1(spans, s)],
      ];
      for (const [name, a, b] of phases) {
        if (Number.isNaN(a) || Number.isNaN(b)) continue;
        // A child must lie inside its parent or Perfetto misnests it (clock steps in the file).
        if (us(a) < us(t0) || us(b) > us(t1) || b < a) continue;
        out += this.event(complete(name, 'phase', us(a), dur(us(a), us(b)), lane.tid, {}));
      }
    }
    for (const l of lanes) {
      out += this.event(meta('thread_name', l.tid, { name: `${l.kind === SpanKind.read ? 'read requests' : 'write requests'} ${l.tid - LANE_TID_BASE + 1}` }));
      out += this.event(meta('thread_sort_index', l.tid, { sort_index: l.tid }));
    }
    return out + '\n]}\n';
  }

  private event(e: string): string {
    const s = (this.first ? '' : ',\n') + e;
    this.first = false;
    return s;
  }
}

function meta(name: string, tid: number, args: Record<string, string | number>, pid = PID): string {
  return `{"name":"${name}","ph":"M","pid":${pid},"tid":${tid},"args":${JSON.stringify(args)}}`;
}

function complete(name: string, cat: string, ts: number, d: number, tid: number, args: Record<string, string | number>): string {
  return `{"name":${JSON.stringify(name)},"cat":"${cat}","ph":"X","ts":${ts},"dur":${d},"pid":${PID},"tid":${tid},"args":${JSON.stringify(args)}}`;
}
