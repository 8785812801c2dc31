import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

/** True when a path has glob characters (`*`, `?`, `[`): a quoted pattern the shell did not expand. */
export function hasGlob(path: string): boolean {
  return /[*?[]/.test(path);
}

/**
 * A pattern as a regular expression over `/`-separated relative paths: `**` any number of folders,
 * `*` and `?` within one name, `[...]` a character class. Node 20 has no fs.glob; this covers what
 * users type for traces (`traces/*.lct`, `fleet/**\/*.lct`, `run.0000[0-4]?.lct`).
 */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        re += slash ? '(?:[^/]*/)*' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += /[.+^${}()|\\]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${re}$`);
}

/**
 * Files matching a pattern, sorted. The walk starts at the longest leading part without glob
 * characters and goes no deeper than the pattern can match (unbounded only with `**`); names
 * starting with a dot are matched only by a pattern part that starts with a dot.
 */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split(/[\\/]/);
  let baseParts = 0;
  while (baseParts < parts.length - 1 && !hasGlob(parts[baseParts]!)) baseParts++;
  const base = parts.slice(0, baseParts).join(sep) || (pattern.startsWith('/') ? sep : '.');
  const rest = parts.slice(baseParts);
  const re = globToRegExp(rest.join('/'));
  const maxDepth = rest.includes('**') || rest.some((p) => p.includes('**')) ? Infinity : rest.length;
  const out: string[] = [];
  const walk = (dir: string, rel: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') && !rest[Math.min(depth, rest.length - 1)]!.startsWith('.')) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (depth + 1 < maxDepth) walk(p, r, depth + 1);
      } else if (e.isFile() && re.test(r)) out.push(p);
    }
  };
  walk(base, '', 0);
  return out.sort();
}
