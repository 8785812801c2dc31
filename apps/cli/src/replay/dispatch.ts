import type { TraceRecord } from '@kvtrace/trace';
import { decodeCall, SkipRecord, type ReplayCall } from './decode-call.ts';
import { ScopePairer, keyListId } from './pairing.ts';
import type { ReadToken, ReplayTarget } from './target.ts';

export type Outcome =
  | { status: 'replayed'; op: string; ms: number }
  | { status: 'failed'; op: string; ms: number; error: string }
  | { status: 'skipped'; op: string; reason: string; detail?: string };

/** Operation names: the recorded method's short name (`read_prefetched_results.__enter__`, ...). */
const READ_SCOPE = 'read_prefetched_results';

/**
 * Replays one record at a time against a target, in trace order. Read scopes are paired
 * enter→exit first-in first-out per key list (records carry no scope id); an exit without an enter
 * is skipped and reported through onWarn; closeOpen() exits what is still open at the end.
 * Only the target's call is timed; decoding, pairing and the untimed client work are not.
 */
export class Dispatcher {
  private readonly scopes = new ScopePairer<ReadToken | null>();
  dataBytes = 0;
  readsFound = 0;
  readsRequested = 0;
  readonly reserveOutcomes = new Map<string, number>();

  constructor(
    private readonly target: ReplayTarget,
    private readonly onWarn: (message: string) => void = () => undefined,
  ) {}

  async handle(rec: TraceRecord): Promise<Outcome> {
    let call: ReplayCall;
    try {
      call = decodeCall(rec.qualname, () => rec.args());
    } catch (e) {
      if (e instanceof SkipRecord) return { status: 'skipped', op: rec.qualname, reason: e.reason, detail: e.detail };
      throw e;
    }
    const op = call.op;
    const t = this.target;
    try {
      switch (call.op) {
        case 'reserve_write': {
          const t0 = performance.now();
          let outcomes = t.reserveWrite(call.keys, call.layout, call.mode);
          if (outcomes instanceof Promise) outcomes = await outcomes;
          const ms = performance.now() - t0;
          for (const o of outcomes) this.reserveOutcomes.set(o, (this.reserveOutcomes.get(o) ?? 0) + 1);
          const bytes = t.writeData(call.keys, outcomes, call.layout);
          this.dataBytes += bytes instanceof Promise ? await bytes : bytes;
          return { status: 'replayed', op, ms };
        }
        case 'finish_write':
          return await timed(op, () => t.finishWrite(call.keys));
        case 'submit_prefetch_task':
          return await timed(op, () => t.submitPrefetchTask(call.call));
        case 'finish_read_prefetched':
          return await timed(op, () => t.finishReadPrefetched(call.keys, call.extraCount));
        case 'read_prefetched_results.__enter__': {
          const id = keyListId(call.keys)!;
          const wait = t.prepareRead(call.keys);
          if (wait instanceof Promise) await wait;
          const t0 = performance.now();
          let token: ReadToken;
          try {
            const r = t.readEnter(call.keys);
            token = r instanceof Promise ? await r : r;
          } catch (e) {
            // The exit of a failed enter pairs with nothing to close: keep its place in the queue.
            this.scopes.enter(READ_SCOPE, id, null);
            throw e;
          }
          const ms = performance.now() - t0;
          this.readsFound += token.found;
          this.readsRequested += token.requested;
          this.scopes.enter(READ_SCOPE, id, token);
          return { status: 'replayed', op, ms };
        }
        case 'read_prefetched_results.__exit__': {
          const id = keyListId(call.keys)!;
          const token = this.scopes.exit(READ_SCOPE, id);
          if (token === undefined) {
            this.onWarn(`record ${rec.index} (byte ${rec.offset}): read_prefetched_results.__exit__ without an enter over the same keys; skipped`);
            return { status: 'skipped', op, reason: 'exit without an enter' };
          }
          if (token === null) return { status: 'skipped', op, reason: 'its enter failed' };
          if (t.scopeInOneCall) return { status: 'replayed', op, ms: NaN };
          return await timed(op, () => t.readExit(token));
        }
      }
    } catch (e) {
      return { status: 'failed', op, ms: NaN, error: (e as Error).message ?? String(e) };
    }
  }

  /** Exits every scope still open (oldest first), as the recorded process would have on shutdown. */
  async closeOpen(): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const token of this.scopes.drain()) {
      if (token === null) continue;
      try {
        out.push(await timed('read_prefetched_results.__exit__', () => this.target.readExit(token)));
      } catch (e) {
        out.push({ status: 'failed', op: 'read_prefetched_results.__exit__', ms: NaN, error: (e as Error).message });
      }
    }
    return out;
  }
}

async function timed(op: string, fn: () => unknown): Promise<Outcome> {
  const t0 = performance.now();
  const r = fn();
  if (r instanceof Promise) await r;
  return { status: 'replayed', op, ms: performance.now() - t0 };
}
