#!/usr/bin/env node
/**
 * Issue 9's flakiness check: `node scripts/unit-under-load.mjs [RUNS]` runs `vitest run` RUNS times
 * in a row (default 5) while one busy loop per core keeps every core busy, and prints each run's
 * result. A test that depends on wall-clock speed fails here first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const runs = Number(process.argv[2] ?? 5);
const loops = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
const stop = () => loops.forEach((l) => l.kill('SIGKILL'));
process.on('SIGINT', () => (stop(), process.exit(130)));
let failedRuns = 0;
try {
  for (let i = 1; i <= runs; i++) {
    const t0 = Date.now();
    const r = spawnSync('npx', ['vitest', 'run'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
    const tests = /Tests\s+(.*)/.exec(out)?.[1]?.trim() ?? '(no summary)';
    if (r.status !== 0) failedRuns++;
    console.log(`run ${i}/${runs}: exit ${r.status}, ${tests}, ${((Date.now() - t0) / 1000).toFixed(0)} s with ${loops.length} busy loops`);
    if (r.status !== 0) for (const line of out.split('\n').filter((l) => /FAIL|✗|×|AssertionError|Error:/.test(l)).slice(0, 30)) console.log(`  ${line}`);
  }
} finally {
  stop();
}
console.log(failedRuns === 0 ? `all ${runs} runs green under load` : `${failedRuns} of ${runs} runs failed under load`);
process.exit(failedRuns === 0 ? 0 : 1);
