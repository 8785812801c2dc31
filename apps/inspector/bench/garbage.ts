/**
 * What each step of a big file's load allocates in JS per call, garbage included:
 * `npx tsx apps/inspector/bench/garbage.ts TRACE.lct`. The steps run here as the workers run them
 * (the reading pass's records and unit plan, IndexShard over each unit's bytes, ShardMerger into a
 * TraceAnalyzer, then trim), each under V8's sampling heap profiler with the objects that young-
 * and old-generation collections free counted too, so the figure is everything allocated, not
 * what survives. Why it matters: V8 grows a worker's young generation (to 32 MB in Chromium) as
 * its scavenges copy objects, so a step that allocates a lot per call ends with a large young
 * generation; and a shard worker's heap stays in the browser's PSS for seconds after it is
 * terminated (pss-settle.ts shows the fall). Node's V8 is not Chromium's, but what the code
 * allocates is the same. Prints bytes per call per step and the functions that allocate most.
 */
import { Session } from 'node:inspector/promises';
import { merge, readingPass, shards } from './node-steps.ts';

const SAMPLING_BYTES = 16384;
const TOP = 5;

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

/** Bytes allocated during `step` (sampled), in total and by function. */
async function allocated<T>(session: Session, step: () => Promise<T> | T): Promise<{ result: T; total: number; byFunction: Map<string, number> }> {
  await session.post('HeapProfiler.collectGarbage');
  await session.post('HeapProfiler.startSampling', { samplingInterval: SAMPLING_BYTES, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const result = await step();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
  const byFunction = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode): void => {
    if (n.selfSize > 0) {
      const file = n.callFrame.url.split('/').slice(-2).join('/');
      const name = `${n.callFrame.functionName || '(anonymous)'}${file ? ` (${file})` : ' (built-in)'}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return { result, total, byFunction };
}

const path = process.argv[2];
if (!path) {
  process.stderr.write('usage: npx tsx apps/inspector/bench/garbage.ts TRACE.lct\n');
  process.exit(2);
}
const session = new Session();
session.connect();
try {
  const read = await allocated(session, () => readingPass(path));
  const { records, units } = read.result;
  const shard = await allocated(session, () => shards(path, units));
  const merged = await allocated(session, () => merge(units, shard.result, records));
  console.log(`${records} calls, ${units.length} units; JS allocated per call, garbage included (sampled every ${SAMPLING_BYTES / 1024} KiB):`);
  for (const [label, s] of [
    ['reading pass (loading worker)', read],
    ['shards, all units (shard workers)', shard],
    ['merge and trim (loading worker)', merged],
  ] as const) {
    console.log(`  ${label.padEnd(36)} ${(s.total / records).toFixed(0).padStart(5)} B`);
    for (const [name, bytes] of [...s.byFunction].sort((x, y) => y[1] - x[1]).slice(0, TOP)) console.log(`      ${(bytes / records).toFixed(0).padStart(5)} B  ${name}`);
  }
} finally {
  session.disconnect();
}
