// Moved to ../test-support/test-trace.ts. This re-export stays only until load/analysis.test.ts and
// load/set-input.test.ts (load/ is another engineer's, being rebuilt) import from there; then delete it.
export { testTrace, trafficSegments } from '../test-support/test-trace.ts';
