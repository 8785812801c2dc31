/**
 * CPU time of every thread of a browser's process tree, from /proc (Linux): what the benches that
 * ask "where does the CPU go" read (phase-cpu.ts, read-cost.ts).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { cmdline, processTree } from './process-memory.ts';

const TICKS_PER_S = 100; // USER_HZ on Linux

/** A process's kind: the browser itself, or Chromium's --type (renderer, gpu-process, utility...). */
export const processKind = (pid: number, root: number): string => (pid === root ? 'browser' : (/--type=([a-z-]+)/.exec(cmdline(pid))?.[1] ?? 'other'));

/** CPU ms by thread ("process kind/thread name/tid") of the browser's process tree. */
export function threadCpu(root: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const pid of processTree(root)) {
    const kind = processKind(pid, root);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // the process ended between the listing and the read
    }
    for (const tid of tids) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        m.set(`${kind}/${name}/${tid}`, ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_S);
      } catch {
        // the thread ended: its last sample stands
      }
    }
  }
  return m;
}

