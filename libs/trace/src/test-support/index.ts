/**
 * `@kvtrace/trace/test-support`: the one seeded trace builder, for tests, e2e and benchmarks (Node
 * only: it can stream a trace to a file). Not part of the browser entry. Usage (README.md has more):
 *
 *   const b = TraceBuilder.memory({ config: { l1_size_gb: 1 } });      // TraceBuilder.file(path): bounded memory
 *   b.call('reserve_write', 0.001, { keys, layout_desc, mode: 'new' }); // names + defaults from SM_PARAMS
 *   b.call('finish_write', 0.002, { keys });  b.record(qualname, t, names, values);  b.bytes();
 *   const { bytes, summary } = trafficTrace({ seed: testSeed('my test'), requests: 200, concurrency: 4,
 *     keysPerCall: [16, 32], layout });                                  // prefetch → read hits → write misses
 *   writeTraffic(TraceBuilder.file(path), { records: 3e6 });  smallCalls({ records, keys: 4, keyEvery: 1000 });
 *   writeSegments(dir, 'run', bytes, [10, 20]); withHeader(bytes, changedHeader(bytes, { sm_config_digest: 'x' }));
 *   cutAt(bytes, n); cutInsidePrefix(bytes, offset); insertFrame(bytes, at, malformedRecordBody('not-a-map'));
 *   b.call('finish_write', t, { keys }, { future: unknownTag('Future', 1) });  testKey(7); randomKeys(16, seed);
 */
export { TraceBuilder, headerFields, DEFAULT_T_MONO_START, DEFAULT_T_WALL_START, type HeaderOptions } from './trace-builder.ts';
export { SIGNATURES, type SmMethod, type SmArgs, type MethodSignature } from './methods.ts';
export { trafficCalls, writeTraffic, trafficTrace, trafficEvents, smallCalls, type TrafficCall, type TrafficOptions, type TrafficSummary } from './traffic.ts';
export { cutAt, cutInsidePrefix, insertFrame, malformedRecordBody, unknownTag } from './damage.ts';
export { testKey, randomKeys, randomHash, freshCopies, TEST_MODELS, TEST_KV_RANK, CHUNK_LAYOUT } from './keys.ts';
export { testSeed, SEED_VARIABLE } from './seed.ts';
export { LMCACHE_FIXTURES, fixtureBytes, manifest, chunkedStream, splitFrames } from './fixtures.ts';
export { traceFrames, headerOf, changedHeader, withHeader, writeSegments } from './rotation.ts';
export { startTsx, runTsx, type StartedProcess } from './child.ts';
