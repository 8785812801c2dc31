import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { ensureWritableDir } from './ensure-dir.ts';
import { tempDir } from './test-support.ts';

const dir = tempDir('kvtrace-ensure-');
const ro = join(dir.path, 'ro');
spawnSync('mkdir', ['-p', ro]);
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,ro', 'tmpfs', ro], { encoding: 'utf8' });
const mounted = mount.status === 0;
if (!mounted) console.log(`read-only tmpfs test skipped: cannot mount here (${(mount.stderr || 'not root').trim()})`);
afterAll(() => {
  if (mounted) spawnSync('umount', [ro]);
  dir.remove();
});

describe('directories the server writes', () => {
  it('a file in the way is named as the cause (ENOTDIR), not as a missing directory', () => {
    const file = join(dir.path, 'file');
    writeFileSync(file, 'x');
    expect(() => ensureWritableDir(join(file, 'a', 'b'), '--traces-dir')).toThrow(/--traces-dir .*file\/a\/b cannot be created: .*file: a path component is a file, not a directory \(ENOTDIR\)/);
  });

  it.skipIf(!mounted)('on a read-only file system the error says EROFS (node says ENOENT), for --traces-dir and --l2-dir alike', async () => {
    expect(() => ensureWritableDir(join(ro, 'traces'), '--traces-dir')).toThrow(/--traces-dir .*ro\/traces cannot be created: .*ro: read-only file system \(EROFS\)/);
    expect(() => ensureWritableDir(ro, '--traces-dir')).toThrow(/--traces-dir .*ro is not writable: .*read-only file system \(EROFS\)/);
    const storage = { l1SizeGb: 0.01, evictionPolicy: 'LRU' as const, l2Dir: join(ro, 'l2'), l2SizeGb: 1, l2Workers: 1, l2MaxPendingBytes: 1 << 20 };
    await expect(buildApp({ storage, tracesDir: join(dir.path, 'traces') })).rejects.toThrow(/--l2-dir .*ro\/l2 cannot be created: .*read-only file system \(EROFS\)/);
  });
});
