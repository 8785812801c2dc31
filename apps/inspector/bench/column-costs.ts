/**
 * What each column of the inspector's analysis costs per call, for apps/inspector/README.md:
 * `npx tsx apps/inspector/bench/column-costs.ts TRACE.lct`. Builds the analysis the way the
 * inspector's loading worker does for a big file (IndexShard, the part merged with
 * ShardMerger, then trimmed), then walks the analyzer's objects and sums the
 * bytes of every typed array by the field that holds it (capacity, which is what memory pays; a
 * buffer shared by two views counts once). The page's RecordStore columns are fixed per call and
 * listed from their element sizes.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { IndexShard, ShardMerger, TraceAnalyzer } from '@kvtrace/trace';
import { BYTES_PER_RECORD, OFFSET_BLOCK } from '../src/model/record-store.ts';

const CHUNK = 16 << 20;

/**
 * The analysis of a file as the sharded load builds it: its records (after the header frame)
 * streamed through an IndexShard and the part merged with ShardMerger. One part or many give the
 * same index (load/sharded-load.test.ts), so one is enough here.
 */
function buildAnalysis(path: string): TraceAnalyzer {
  const fd = openSync(path, 'r');
  try {
    const prefix = Buffer.alloc(4);
    readSync(fd, prefix, 0, 4, 0);
    let pos = 4 + prefix.readUInt32BE(0);
    const shard = new IndexShard(pos);
    for (;;) {
      const chunk = Buffer.alloc(CHUNK);
      const n = readSync(fd, chunk, 0, CHUNK, pos);
      if (n === 0) break;
      shard.push(chunk.subarray(0, n));
      pos += n;
    }
    const { part } = shard.finish();
    const analyzer = new TraceAnalyzer();
    const merger = new ShardMerger(analyzer);
    analyzer.reserve(part.count);
    merger.deliver(merger.plan(0, 0, part.count), part);
    merger.advance(part.count);
    analyzer.trim();
    return analyzer;
  } finally {
    closeSync(fd);
  }
}

/** Bytes of typed arrays reachable from `root`, by the path of the field holding them (depth ≤ 3). */
function typedBytes(root: object): Map<string, number> {
  const out = new Map<string, number>();
  const seenBuffers = new Set<ArrayBufferLike>();
  const seenObjects = new Set<object>();
  const visit = (o: unknown, path: string, depth: number) => {
    if (o === null || typeof o !== 'object' || seenObjects.has(o)) return;
    seenObjects.add(o);
    if (ArrayBuffer.isView(o)) {
      if (seenBuffers.has(o.buffer)) return;
      seenBuffers.add(o.buffer);
      out.set(path, (out.get(path) ?? 0) + o.buffer.byteLength);
      return;
    }
    if (depth > 4) return;
    for (const [k, v] of Object.entries(o)) {
      // A growable column's typed array is its `data`: name the column, not the wrapper's field.
      const p = k === 'data' ? path : path === '' ? k : `${path}.${k}`;
      visit(v, depth >= 3 ? path : p, depth + 1);
    }
  };
  visit(root, '', 0);
  return out;
}

const path = process.argv[2];
if (!path) {
  console.error('usage: tsx apps/inspector/bench/column-costs.ts TRACE.lct');
  process.exit(2);
}
const a = buildAnalysis(path);
const calls = a.length;
const keys = a.index.keys.size;
const rows = [...typedBytes(a)].sort((x, y) => y[1] - x[1]);
const total = rows.reduce((n, [, b]) => n + b, 0);
const pad = (s: string, n: number) => s.padEnd(n);
let refs = 0;
for (let c = 0; c < calls; c++) refs += a.index.keysOfCall(c).length;
console.log(`${path}: ${calls} calls, ${keys} distinct keys, ${(refs / calls).toFixed(1)} keys a call`);
console.log(`${pad('loading worker: analysis column', 44)} B/call`);
for (const [name, b] of rows) if (b / calls >= 0.05) console.log(`${pad(name, 44)} ${(b / calls).toFixed(2)}`);
console.log(`${pad('all typed arrays of the analysis', 44)} ${(total / calls).toFixed(2)}`);
console.log(`${pad(`page: RecordStore (tMono 8, method 1, frameBytes 2, a block start per ${OFFSET_BLOCK}; a set: file 2, offset 8)`, 44)} ${(BYTES_PER_RECORD + 8 / OFFSET_BLOCK).toFixed(2)}`);
// The timeline's request tracks (model/queries.ts SliceColumns): kind and status 1 B each, four Int32 calls.
const spans = a.spans().length;
console.log(`${pad(`page: request spans for the timeline (18 B a span, ${spans} spans)`, 44)} ${((spans * 18) / calls).toFixed(2)}`);
