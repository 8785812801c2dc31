import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** A working folder named after the process that made it: `<prefix><pid>`. */
export const workDirName = (prefix: string, pid = process.pid): string => `${prefix}${pid}`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, owned by someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the working folders `<prefix><pid>` in `dir` whose process is gone (an export or a load
 * killed before it could clean up); folders of running processes are theirs and stay.
 */
export function removeStaleWorkDirs(dir: string, prefix: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    if (!n.startsWith(prefix)) continue;
    const pid = Number(n.slice(prefix.length));
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    rmSync(join(dir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}
