import { SegmentedTraceReader, type IndexArgsSink, type ParserOptions, type SegmentRecord, type TraceRecord } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { READ_CHUNK } from '../replay/read-chunk.ts';
import type { TraceSet } from './inputs.ts';

/** A trace set's segments read as one trace, one file open at a time. */
export function openTraceSet(set: TraceSet, options: ParserOptions = {}): SegmentedTraceReader {
  return new SegmentedTraceReader(
    set.segments.map((s) => ({ name: s.name, open: () => fileStream(s.path, { highWaterMark: READ_CHUNK }) })),
    options,
  );
}

/**
 * A record of one of several traces on their common clock: `t` is Unix seconds (the trace's
 * `t_wall_start` plus the record's `t_mono`: one monotonic clock per trace, so no wall-clock jump
 * within a trace), and `t_mono` is the record's t_mono plus its trace's start minus the merge's
 * origin (the earliest trace start), so
 * every format that places records by `t_mono` lines the servers up. `index` and `offset` stay the
 * record's own (its index within its server's trace, its offset in its segment file).
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

const OUT_BATCH = 4096;

interface Input {
  server: string;
  wallStart: number;
  it: AsyncIterator<SegmentRecord[]>;
  batch: SegmentRecord[];
  pos: number;
  head: number;
  /** Ties on the clock go to the earlier input, so the order is the same on every run. */
  order: number;
}

const before = (a: Input, b: Input): boolean => a.head < b.head || (a.head === b.head && a.order < b.order);

/**
 * Several traces as one stream, ordered on the wall clock: a k-way merge by each trace's next
 * record (records of one trace keep their order; a trace's own order is by write, which is close
 * to but not exactly call-start order, so "ordered" means "ordered at each step"). One batch per
 * trace in memory. `origin` (default: the earliest header's `t_wall_start`) is where `t_mono` of
 * the merged records starts.
 */
export async function* mergeTraceSets(inputs: readonly { server: string; reader: SegmentedTraceReader }[], origin?: number): AsyncGenerator<AlignedRecord[]> {
  const heap: Input[] = [];
  const live: Input[] = [];
  try {
    for (const { server, reader } of inputs) {
      const header = await reader.header();
      live.push({ server, wallStart: header.t_wall_start, it: reader.batches()[Symbol.asyncIterator](), batch: [], pos: 0, head: 0, order: live.length });
    }
    const t0 = origin ?? Math.min(...live.map((i) => i.wallStart));
    for (const input of live) if (await refill(input)) push(heap, input);
    let out: AlignedRecord[] = [];
    while (heap.length > 0) {
      const top = heap[0]!;
      const record = top.batch[top.pos++]!;
      out.push(new AlignedRecord(top.server, record, top.head, top.wallStart - t0));
      if (top.pos < top.batch.length || (await refill(top))) {
        top.head = top.wallStart + top.batch[top.pos]!.t_mono;
        siftDown(heap, 0);
      } else {
        const last = heap.pop()!;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0);
        }
      }
      if (out.length >= OUT_BATCH) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.all(live.map((i) => i.it.return?.()));
  }
}

async function refill(input: Input): Promise<boolean> {
  for (;;) {
    const r = await input.it.next();
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
