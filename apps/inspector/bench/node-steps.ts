/**
 * A big file's load as its workers run it, in Node, for the bench tools that look at one step
 * (garbage.ts: what each allocates; merge-time.ts: how long the merge takes): the reading pass's
 * records and unit plan, IndexShard over each unit's bytes, ShardMerger into a TraceAnalyzer.
 */
import { closeSync, openAsBlob, openSync, readSync } from 'node:fs';
import { IndexShard, ShardMerger, TraceAnalyzer, TraceReader, type CallIndexPart } from '@kvtrace/trace';
import { UnitPlanner, type PlannedUnit } from '../src/load/shard-plan.ts';

/** The loading worker's unit sizes (load-run.ts). */
const UNIT_BYTES = 16 * 1024 * 1024;
const UNIT_RECORDS = 65536;

/** The reading pass as the loading worker makes it: every record's table columns, and the units it plans. */
export async function readingPass(path: string): Promise<{ records: number; units: PlannedUnit[] }> {
  const units: PlannedUnit[] = [];
  const planner = new UnitPlanner(1, { maxBytes: UNIT_BYTES, maxRecords: UNIT_RECORDS }, (u) => units.push(u));
  const reader = new TraceReader((await openAsBlob(path)).stream(), { decodeArgs: false, recycleRecords: true });
  await reader.header();
  let records = 0;
  let check = 0;
  for await (const recs of reader.batches()) {
    for (const r of recs) {
      planner.add(0, 0, r.offset, r.frameBytes, r.index);
      check += r.t_mono + r.qualname.length;
      records++;
    }
  }
  planner.flush();
  if (Number.isNaN(check)) throw new Error('unreachable: keeps the record fields read');
  return { records, units };
}

/** Each unit indexed apart, as the shard workers do. */
export function shards(path: string, units: PlannedUnit[]): CallIndexPart[] {
  const fd = openSync(path, 'r');
  try {
    return units.map((u) => {
      // A plain Uint8Array, as a shard worker gets (a Buffer's own subarray/slice allocate differently).
      const bytes = new Uint8Array(u.end - u.start);
      readSync(fd, bytes, 0, bytes.length, u.start);
      const shard = new IndexShard(u.start);
      shard.push(bytes);
      return shard.finish().part;
    });
  } finally {
    closeSync(fd);
  }
}

/** The parts merged in order and trimmed, as the loading worker does (the parts are only read: they can be merged again). */
export function merge(units: PlannedUnit[], parts: CallIndexPart[], records: number): TraceAnalyzer {
  const a = new TraceAnalyzer();
  a.reserve(records);
  const m = new ShardMerger(a);
  const ids = units.map((u) => m.plan(0, u.firstRecord, u.count));
  ids.forEach((id, i) => m.deliver(id, parts[i]!));
  m.advance(records);
  a.trim();
  if (a.length !== records) throw new Error(`merged ${a.length} calls of ${records}`);
  return a;
}
