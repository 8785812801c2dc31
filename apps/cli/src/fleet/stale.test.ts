import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeStaleWorkDirs, workDirName } from './stale.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-stale-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('removeStaleWorkDirs', () => {
  it("removes the folders of processes that are gone, keeps live ones' and anything else", () => {
    // A process that has exited: its pid is free (the kernel does not hand it out again at once).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    for (const n of [workDirName('.w-', deadPid), workDirName('.w-'), workDirName('.w-', process.ppid), '.w-notapid', 'other']) mkdirSync(join(dir, n));
    expect(removeStaleWorkDirs(dir, '.w-')).toEqual([`.w-${deadPid}`]);
    expect(readdirSync(dir).sort()).toEqual([`.w-${process.pid}`, `.w-${process.ppid}`, '.w-notapid', 'other'].sort());
    expect(existsSync(join(dir, `.w-${deadPid}`))).toBe(false);
  });
});
