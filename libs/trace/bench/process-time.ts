/**
 * Timing a whole child process the way a user pays for it: wall time from here, CPU time (user +
 * sys) and peak RSS from time(1). Shared by the benches that run the CLI on big files.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from '../../../e2e/support/paths.ts';

export interface Timed {
  ms: number;
  /** User + system CPU time: steadier than wall time when other work shares the cores. */
  cpuMs: number;
  maxRssKb: number;
  stdout: string;
}

/** Runs a command under /usr/bin/time from the repository root. */
export function timed(cmd: string, args: string[]): Timed {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'kvtrace_time %U %S %M', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const m = /kvtrace_time ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no figures from time(1): ${r.stderr.slice(-500)}`);
  return { ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, maxRssKb: Number(m[3]), stdout: r.stdout };
}

/** The CLI (`npm run kvtrace -- ARGS`) as time(1) sees it, without npm's own process. */
export const cli = (args: string[]): Timed => timed(`${ROOT}node_modules/.bin/tsx`, ['apps/cli/src/main.ts', ...args]);

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** /proc/loadavg's 1, 5 and 15 minute figures: printed beside results so a busy machine shows. */
export const loadAvg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
