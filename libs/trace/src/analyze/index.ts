/** libs/trace analysis layer: index, lifecycles, statistics and exports (framework-free, worker- and Node-safe). */
export * from './types.ts';
export { MethodTable, MAX_METHODS } from './methods.ts';
export { StringTable } from './string-table.ts';
export { KeyTable } from './key-table.ts';
export { ArgScanner, MAX_CALL_TEXT } from './arg-scan.ts';
export { CallIndex, type IndexableRecord, type IndexArgsSource } from './call-index.ts';
export * from './query/index.ts';
export { LifecycleTracker, type LifecycleOptions } from './lifecycle.ts';
export { keyTimeline } from './key-timeline.ts';
export { nearestRank, nearestRankOfCounts, durationStats } from './percentiles.ts';
export { ScopePairer, scopeSide, asKeyList, sameKey, sameKeyList, keyListHash } from './scope-pairing.ts';
export { computeStats, type StatsOptions } from './stats.ts';
export { compareStats } from './compare.ts';
export { toJsonValue, objectKeyJson, argsToJson } from './to-json.ts';
export { jsonlChunks, csvChunks, toJsonl, toCsv, csvField, CSV_COLUMNS } from './export-rows.ts';
export { chromeTraceChunks, chromeTrace, type ChromeTraceOptions } from './chrome-trace.ts';
export { TraceAnalyzer } from './analyzer.ts';
export { transferable } from './transfer.ts';
