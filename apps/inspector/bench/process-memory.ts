/**
 * What a browser costs the machine: the PSS (proportional set size: private pages plus a share of
 * shared ones, so summing over processes counts every page once) of a process and all of its
 * descendants, read from /proc. Chromium's renderer, GPU and utility processes are children of its
 * zygote, itself a child of the browser process, so "descendants of the browser's PID" is all of it;
 * dedicated workers are threads of their page's renderer and are counted with it.
 */
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  /** Chromium's `--type=` (renderer, gpu-process, utility, zygote), or `browser` for the root. */
  kind: string;
  pssBytes: number;
}

function readOr(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    // The process exited between the listing and the read: it costs nothing any more.
    return null;
  }
}

/** Parent PID from /proc/PID/stat; the command name (field 2) may hold spaces and parentheses. */
function parentOf(pid: number): number | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === null) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[1]);
}

function childMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ppid = parentOf(pid);
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  return children;
}

export const childrenOf = (pid: number): number[] => childMap().get(pid) ?? [];

export const cmdline = (pid: number): string => (readOr(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ');

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = childMap();
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

function kindOf(pid: number, root: number): string {
  if (pid === root) return 'browser';
  const cmd = cmdline(pid);
  const type = /--type=([a-z-]+)/.exec(cmd)?.[1];
  const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1];
  return type === undefined ? 'other' : sub ? `${type}:${sub.split('.').pop()}` : type;
}

/** PSS of `root`'s process tree, process by process (smaps_rollup is in kB). */
export function treeMemory(root: number): ProcessMemory[] {
  const out: ProcessMemory[] = [];
  for (const pid of processTree(root)) {
    const rollup = readOr(`/proc/${pid}/smaps_rollup`);
    const kb = rollup === null ? null : /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
    if (kb == null) continue;
    out.push({ pid, kind: kindOf(pid, root), pssBytes: Number(kb) * 1024 });
  }
  return out;
}

export const totalPss = (m: ProcessMemory[]): number => m.reduce((s, p) => s + p.pssBytes, 0);

/** PSS summed by process kind, e.g. `{renderer: 1.2e9, browser: 2e8}`. */
export function pssByKind(m: ProcessMemory[]): Map<string, number> {
  const by = new Map<string, number>();
  for (const p of m) by.set(p.kind, (by.get(p.kind) ?? 0) + p.pssBytes);
  return by;
}

/** One sample of /proc/loadavg (1, 5 and 15 minute averages), quoted with absolute times. */
export const loadAvg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
