import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  ENOTDIR: 'a path component is a file, not a directory',
  EEXIST: 'a file of that name is in the way',
};

const codeOf = (e: unknown): string => (typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : 'EIO');

function explain(code: string, where: string): string {
  return `${where}: ${REASONS[code] ?? 'cannot be written'} (${code})`;
}

/**
 * Creates `dir` (and its parents) and checks it is writable; the error names `what` (a flag) and
 * the true cause. Node's recursive mkdir reports ENOENT when the cause is a read-only file system
 * (EROFS) or a permission: the deepest existing ancestor is tried again without recursion to learn
 * the real reason.
 */
export function ensureWritableDir(dir: string, what: string): void {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: true });
  } catch (e) {
    let child = abs;
    let parent = dirname(abs);
    while (parent !== child && !existsSync(parent)) {
      child = parent;
      parent = dirname(parent);
    }
    let code = codeOf(e);
    try {
      mkdirSync(child);
    } catch (again) {
      code = codeOf(again);
    }
    throw new Error(`${what} ${dir} cannot be created: ${explain(code, parent)}`, { cause: e });
  }
  try {
    accessSync(abs, constants.W_OK);
  } catch (e) {
    throw new Error(`${what} ${dir} is not writable: ${explain(codeOf(e), abs)}`, { cause: e });
  }
}
