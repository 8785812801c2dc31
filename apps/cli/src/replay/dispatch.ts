import { ScopePairer, type ObjectKey, type TraceRecord } from '@kvtrace/trace';
import { decodeCall, SkipRecord, type ReplayCall } from './decode-call.ts';
import { KeyInterner } from './key-interner.ts';
import { RecordArgs } from './record-args.ts';
import type { ReadToken, ReplayTarget } from './target.ts';

export type Outcome =
  | { status: 'replayed'; op: string; ms: number }
  | { status: 'failed'; op: string; ms: number; error: string }
  | { status: 'skipped'; op: string; reason: string; detail?: string };

/** Operation names: the recorded method's short name (`read_prefetched_results.__enter__`, ...). */
const READ_SCOPE = 'read_prefetched_results';
const EXIT_OP = 'read_prefetched_results.__exit__';

const failed = (op: string, e: unknown): Outcome => ({ status: 'failed', op, ms: NaN, error: (e as Error)?.message ?? String(e) });
const isPromise = <T>(v: T | Promise<T>): v is Promise<T> => v instanceof Promise;

/**
 * Replays one record at a time against a target, in trace order. Read scopes are paired
 * enter→exit first-in first-out per key list (libs/trace's ScopePairer: records carry no scope id);
 * an exit without an enter is skipped and reported through onWarn; closeOpen() exits what is still
 * open at the end. Only the target's call is timed; decoding, pairing and the untimed client work
 * are not. A target that answers synchronously (in process) is driven synchronously: handle()
 * returns the outcome itself, and a promise only when the target returned one.
 */
export class Dispatcher {
  private readonly scopes = new ScopePairer<ReadToken | null>();
  /** The target sees one object per distinct key (its `id` memo then serves every later call). */
  readonly keys = new KeyInterner();
  private readonly recordArgs = new RecordArgs(this.keys);
  /** The unfinished asynchronous call holding each key (keys are canonical objects: identity works). */
  private readonly busy = new Map<ObjectKey, Promise<Outcome>>();
  private readonly pending = new Set<Promise<Outcome>>();
  dataBytes = 0;
  readsFound = 0;
  readsRequested = 0;
  readonly reserveOutcomes = new Map<string, number>();

  constructor(
    private readonly target: ReplayTarget,
    private readonly onWarn: (message: string) => void = () => undefined,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Replays one record. A record whose keys an unfinished asynchronous call still holds (a read
   * waiting for its L2 load) runs after that call; any other runs now, so one request's wait does
   * not hold up the others, and per key the trace's order is kept.
   */
  handle(rec: TraceRecord): Outcome | Promise<Outcome> {
    let call: ReplayCall;
    try {
      call = decodeCall(rec.qualname, () => this.recordArgs.of(rec));
    } catch (e) {
      if (e instanceof SkipRecord) return { status: 'skipped', op: rec.qualname, reason: e.reason, detail: e.detail };
      throw e;
    }
    const keys = call.op === 'submit_prefetch_task' ? call.call.keys : call.keys;
    let before: Set<Promise<Outcome>> | null = null;
    if (this.busy.size > 0)
      for (const k of keys) {
        const p = this.busy.get(k);
        if (p !== undefined) (before ??= new Set()).add(p);
      }
    const result = before === null ? this.issue(rec, call) : Promise.all(before).then(() => this.issue(rec, call));
    if (isPromise(result)) {
      this.pending.add(result);
      for (const k of keys) this.busy.set(k, result);
      void result.then(() => {
        this.pending.delete(result);
        for (const k of keys) if (this.busy.get(k) === result) this.busy.delete(k);
      });
    }
    return result;
  }

  /** Calls still running. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves when every call issued so far has finished (outcomes never reject). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private issue(rec: TraceRecord, call: ReplayCall): Outcome | Promise<Outcome> {
    const t = this.target;
    try {
      switch (call.op) {
        case 'reserve_write':
          return this.reserve(call);
        case 'finish_write':
          return this.timed(call.op, () => t.finishWrite(call.keys));
        case 'submit_prefetch_task':
          return this.timed(call.op, () => t.submitPrefetchTask(call.call));
        case 'finish_read_prefetched':
          return this.timed(call.op, () => t.finishReadPrefetched(call.keys, call.extraCount));
        case 'read_prefetched_results.__enter__': {
          const wait = t.prepareRead(call.keys);
          return isPromise(wait) ? wait.then(() => this.enter(call.op, call.keys), (e: unknown) => failed(call.op, e)) : this.enter(call.op, call.keys);
        }
        case 'read_prefetched_results.__exit__': {
          const token = this.scopes.exit(READ_SCOPE, call.keys);
          if (token === undefined) {
            this.onWarn(`record ${rec.index} (byte ${rec.offset}): read_prefetched_results.__exit__ without an enter over the same keys; skipped`);
            return { status: 'skipped', op: call.op, reason: 'exit without an enter' };
          }
          if (token === null) return { status: 'skipped', op: call.op, reason: 'its enter failed' };
          if (t.scopeInOneCall) return { status: 'replayed', op: call.op, ms: NaN };
          return this.timed(call.op, () => t.readExit(token));
        }
      }
    } catch (e) {
      return failed(call.op, e);
    }
  }

  /** Exits every scope still open (oldest first), as the recorded process would have on shutdown. */
  async closeOpen(): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const token of this.scopes.drain()) {
      if (token === null) continue;
      const o = this.timed(EXIT_OP, () => this.target.readExit(token));
      out.push(isPromise(o) ? await o : o);
    }
    return out;
  }

  private reserve(call: Extract<ReplayCall, { op: 'reserve_write' }>): Outcome | Promise<Outcome> {
    const t0 = this.now();
    const r = this.target.reserveWrite(call.keys, call.layout, call.mode);
    const after = (outcomes: readonly string[]): Outcome | Promise<Outcome> => {
      const ms = this.now() - t0;
      for (const o of outcomes) this.reserveOutcomes.set(o, (this.reserveOutcomes.get(o) ?? 0) + 1);
      const bytes = this.target.writeData(call.keys, outcomes, call.layout);
      const done = (n: number): Outcome => {
        this.dataBytes += n;
        return { status: 'replayed', op: call.op, ms };
      };
      return isPromise(bytes) ? bytes.then(done, (e: unknown) => failed(call.op, e)) : done(bytes);
    };
    // Sync: a throw reaches handle()'s catch. Async: one catch for the reservation and the data path.
    return isPromise(r) ? r.then(after).catch((e: unknown) => failed(call.op, e)) : after(r);
  }

  private enter(op: string, keys: readonly ObjectKey[]): Outcome | Promise<Outcome> {
    const t0 = this.now();
    const done = (token: ReadToken): Outcome => {
      const ms = this.now() - t0;
      this.readsFound += token.found;
      this.readsRequested += token.requested;
      this.scopes.enter(READ_SCOPE, keys, token);
      return { status: 'replayed', op, ms };
    };
    // The exit of a failed enter pairs with nothing to close: keep its place in the queue.
    const refused = (e: unknown): Outcome => {
      this.scopes.enter(READ_SCOPE, keys, null);
      return failed(op, e);
    };
    let r: ReadToken | Promise<ReadToken>;
    try {
      r = this.target.readEnter(keys);
    } catch (e) {
      return refused(e);
    }
    return isPromise(r) ? r.then(done, refused) : done(r);
  }

  private timed(op: string, fn: () => unknown): Outcome | Promise<Outcome> {
    const t0 = this.now();
    let r: unknown;
    try {
      r = fn();
    } catch (e) {
      return failed(op, e);
    }
    if (r instanceof Promise) return r.then(() => ({ status: 'replayed', op, ms: this.now() - t0 }) as Outcome, (e: unknown) => failed(op, e));
    return { status: 'replayed', op, ms: this.now() - t0 };
  }
}
