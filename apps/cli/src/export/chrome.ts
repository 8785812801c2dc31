import { ScopePairer, asKeyList, scopeSide, shortMethodName, type TraceHeader, type TraceRecord } from '@kvtrace/trace';
import type { ExportFormat } from './format.ts';
import { argsToJson, type Json } from './to-json.ts';

const PID = 1;
const US = 1e6;

interface OpenSpan {
  name: string;
  ts: number;
  tid: number;
  lane: { busy: boolean; tid: number };
  args: Json;
  index: number;
}

/**
 * Chrome trace-event JSON (the format Perfetto and chrome://tracing open): calls are instant events
 * (`ph: "i"`), scope enter/exit pairs are complete events (`ph: "X"`), one thread per method and
 * metadata events naming the process and threads. `ts` is microseconds from the trace start
 * (t_mono). Written as it is read: the only state is the scopes still open.
 *
 * Overlapping scopes go to extra lanes (threads named `method #2`, ...), assigned when the scope
 * opens: Perfetto requires the slices of one thread to nest, and two reads over different keys
 * can overlap without nesting.
 */
export class ChromeFormat implements ExportFormat {
  private first = true;
  private nextTid = 1;
  private readonly threads = new Map<string, number>();
  private readonly lanes = new Map<string, { busy: boolean; tid: number }[]>();
  private readonly pairer = new ScopePairer<OpenSpan>();
  private lastTs = 0;

  begin(header: TraceHeader, source: string): string {
    return (
      '{"traceEvents":[\n' +
      this.event({ name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `kvtrace ${source}` } }) +
      this.event({
        name: 'process_labels',
        ph: 'M',
        pid: PID,
        tid: 0,
        args: { labels: `level=${header.level}, schema=${header.trace_schema_version}, t_wall_start=${new Date(header.t_wall_start * 1000).toISOString()}` },
      })
    );
  }

  record(rec: TraceRecord): string {
    const ts = rec.t_mono * US;
    if (ts > this.lastTs) this.lastTs = ts;
    const { args, error } = argsToJson(() => rec.args());
    const callArgs: Json = error === null ? args : { args_error: error };
    const side = scopeSide(rec.qualname);
    const keys = error === null && side ? asKeyList(rec.args().keys) : null;
    if (side && keys !== null) {
      const name = shortMethodName(side.scope);
      if (side.side === 'enter') {
        let out = '';
        const lanes = this.lanes.get(name) ?? [];
        this.lanes.set(name, lanes);
        let lane = lanes.find((l) => !l.busy);
        if (!lane) {
          const laneName = lanes.length === 0 ? name : `${name} #${lanes.length + 1}`;
          const t = this.thread(laneName);
          out += t.meta;
          lane = { busy: false, tid: t.tid };
          lanes.push(lane);
        }
        lane.busy = true;
        this.pairer.enter(side.scope, keys, { name, ts, tid: lane.tid, lane, args: callArgs, index: rec.index });
        return out;
      }
      const open = this.pairer.exit(side.scope, keys);
      if (open) return this.closeSpan(open, ts, {});
      const t = this.thread(name);
      return t.meta + this.event({ name: shortMethodName(rec.qualname), cat: 'unpaired', ph: 'i', s: 't', ts, pid: PID, tid: t.tid, args: { index: rec.index, unpaired_exit: true, args: callArgs } });
    }
    const t = this.thread(shortMethodName(rec.qualname));
    return t.meta + this.event({ name: shortMethodName(rec.qualname), cat: 'call', ph: 'i', s: 't', ts, pid: PID, tid: t.tid, args: { index: rec.index, args: callArgs } });
  }

  end(): string {
    let out = '';
    for (const open of this.pairer.drain()) out += this.closeSpan(open, this.lastTs, { unclosed: true });
    return out + '\n],"displayTimeUnit":"ms"}\n';
  }

  private closeSpan(open: OpenSpan, endTs: number, extra: Record<string, Json>): string {
    open.lane.busy = false;
    return this.event({ name: open.name, cat: 'scope', ph: 'X', ts: open.ts, dur: Math.max(0, endTs - open.ts), pid: PID, tid: open.tid, args: { index: open.index, ...extra, args: open.args } });
  }

  private thread(name: string): { tid: number; meta: string } {
    const known = this.threads.get(name);
    if (known !== undefined) return { tid: known, meta: '' };
    const tid = this.nextTid++;
    this.threads.set(name, tid);
    return {
      tid,
      meta:
        this.event({ name: 'thread_name', ph: 'M', pid: PID, tid, args: { name } }) +
        this.event({ name: 'thread_sort_index', ph: 'M', pid: PID, tid, args: { sort_index: tid } }),
    };
  }

  private event(e: Record<string, Json>): string {
    const s = (this.first ? '' : ',\n') + JSON.stringify(e);
    this.first = false;
    return s;
  }
}
