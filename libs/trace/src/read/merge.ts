import type { IndexArgsSink } from './index-args.ts';
import type { TraceRecord } from '../model.ts';
import type { SegmentRecord, SegmentedTraceReader } from './segments.ts';

/** One trace of a merge: its server name and its (possibly rotated) recording. */
export interface MergeInput {
  server: string;
  reader: SegmentedTraceReader;
}

/**
 * A record of one of several traces on their common clock: `t` is Unix seconds (the trace's
 * `t_wall_start` plus the record's `t_mono`: one monotonic clock per trace, so no wall-clock jump
 * within a trace), and `t_mono` is the record's t_mono plus its trace's start minus the merge's
 * origin (the earliest trace start), so every view that places records by `t_mono` lines the
 * servers up. `index` and `offset` stay the record's own (its index within its server's trace, its
 * offset in its segment file); `trace` is the position of its input, `segment` of its file there.
 */
export class AlignedRecord implements TraceRecord {
  readonly index: number;
  readonly offset: number;
  readonly frameBytes: number;
  readonly t_wall: number;
  readonly qualname: string;
  readonly t_mono: number;

  constructor(
    readonly server: string,
    readonly trace: number,
    readonly record: SegmentRecord,
    readonly t: number,
    /** This trace's start minus the merge's origin: added to t_mono (exact for the earliest trace, whose shift is 0). */
    shift: number,
  ) {
    this.index = record.index;
    this.offset = record.offset;
    this.frameBytes = record.frameBytes;
    this.t_wall = record.t_wall;
    this.qualname = record.qualname;
    this.t_mono = shift === 0 ? record.t_mono : shift + record.t_mono;
  }

  /** The file of the record within its trace (0 for `NAME.lct`, then each later segment read). */
  get segment(): number {
    return this.record.segment;
  }
  get unknownTags(): number {
    return this.record.unknownTags;
  }
  args(): Record<string, unknown> {
    return this.record.args();
  }
  decodeArgs(): Record<string, unknown> {
    return this.record.decodeArgs();
  }
  indexArgs(sink: IndexArgsSink): void {
    this.record.indexArgs(sink);
  }
}

export interface MergeOptions {
  /** Unix seconds where the merged `t_mono` starts (default: the earliest header's `t_wall_start`). */
  origin?: number;
  /** Records per yielded batch (default 4096). */
  batch?: number;
  /**
   * A trace that fails (a header that does not read, a later segment that does not continue it, a
   * stream that breaks) ends there and the others go on, its error handed here with the position
   * of its input. Without it the merge throws the first error (the CLI: a bad input is fatal).
   */
  onError?(trace: number, error: unknown): void;
}

interface Input {
  server: string;
  trace: number;
  wallStart: number;
  it: AsyncIterator<SegmentRecord[]>;
  batch: SegmentRecord[];
  pos: number;
  head: number;
}

/** Ties on the clock go to the earlier input, so the order is the same on every run. */
const before = (a: Input, b: Input): boolean => a.head < b.head || (a.head === b.head && a.trace < b.trace);

/**
 * Several traces as one stream, ordered on the wall clock: a k-way merge by each trace's next
 * record (records of one trace keep their order; a trace's own order is by write, which is close
 * to but not exactly call-start order, so "ordered" means "ordered at each step"). One batch per
 * trace in memory, and only ReadableStreams underneath: the same merge runs in Node and in a
 * browser worker. The same inputs give the same order on every run (a second pass over the same
 * files meets the records in the order of the first).
 */
export async function* mergeTraces(inputs: readonly MergeInput[], options: MergeOptions = {}): AsyncGenerator<AlignedRecord[]> {
  const heap: Input[] = [];
  const live: Input[] = [];
  const size = options.batch ?? 4096;
  const fail = (input: { trace: number }, e: unknown): void => {
    if (!options.onError) throw e;
    options.onError(input.trace, e);
  };
  try {
    for (const [trace, { server, reader }] of inputs.entries()) {
      let wallStart: number;
      try {
        wallStart = (await reader.header()).t_wall_start;
      } catch (e) {
        fail({ trace }, e);
        continue;
      }
      live.push({ server, trace, wallStart, it: reader.batches()[Symbol.asyncIterator](), batch: [], pos: 0, head: 0 });
    }
    if (live.length === 0) return;
    const t0 = options.origin ?? Math.min(...live.map((i) => i.wallStart));
    for (const input of live) if (await refill(input, fail)) push(heap, input);
    let out: AlignedRecord[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      const record = top.batch[top.pos++]!;
      out.push(new AlignedRecord(top.server, top.trace, record, top.head, top.wallStart - t0));
      if (top.pos < top.batch.length || (await refill(top, fail))) {
        top.head = top.wallStart + top.batch[top.pos]!.t_mono;
        siftDown(heap, 0);
      } else {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0);
        }
      }
      if (out.length >= size) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(live.map((i) => i.it.return?.()));
  }
}

/** The input's next non-empty batch; false at its end (or its failure, when failures are reported). */
async function refill(input: Input, fail: (input: Input, e: unknown) => void): Promise<boolean> {
  for (;;) {
    let r: IteratorResult<SegmentRecord[]>;
    try {
      r = await input.it.next();
    } catch (e) {
      fail(input, e);
      return false;
    }
    if (r.done) return false;
    if (r.value.length === 0) continue;
    input.batch = r.value;
    input.pos = 0;
    input.head = input.wallStart + r.value[0]!.t_mono;
    return true;
  }
}

function push(heap: Input[], x: Input): void {
  heap.push(x);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!before(x, heap[p]!)) break;
    heap[i] = heap[p]!;
    i = p;
  }
  heap[i] = x;
}

function siftDown(heap: Input[], i: number): void {
  const x = heap[i]!;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= heap.length) break;
    const r = l + 1;
    const c = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
    if (!before(heap[c]!, x)) break;
    heap[i] = heap[c]!;
    i = c;
  }
  heap[i] = x;
}
