/**
 * How long the loading worker's merge of a big file's shard parts takes, in Node:
 * `npx tsx apps/inspector/bench/merge-time.ts TRACE.lct [RUNS]`. Indexes the units once (the shard
 * workers' step), then merges the same parts RUNS times (7 by default) into a fresh analyzer each
 * (ShardMerger and trim: the serial step at the end of the index, where the request tracker runs)
 * and prints each run, the median and the spread. To compare two trees, run it in each, alternated.
 */
import { merge, readingPass, shards } from './node-steps.ts';

const [path, runsArg] = process.argv.slice(2);
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/merge-time.ts TRACE.lct [RUNS]\n');
  process.exit(2);
}
const runs = Number(runsArg ?? 7);
const { records, units } = await readingPass(path);
const t0 = performance.now();
const parts = shards(path, units);
const shardMs = performance.now() - t0;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  merge(units, parts, records);
  times.push(performance.now() - t);
}
const sorted = [...times].sort((a, b) => a - b);
const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`${records} calls, ${units.length} units; shards (one thread, once) ${ms(shardMs)}`);
console.log(`merge and trim: ${times.map(ms).join(', ')}; median ${ms(sorted[Math.floor(runs / 2)]!)}, min ${ms(sorted[0]!)}, max ${ms(sorted[runs - 1]!)}`);
