/**
 * The layering of STYLE.md, enforced (as Perfetto's tools/check_imports does): imports point one way.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function sources(dir: string): string[] {
  if (!existsSync(join(root, dir))) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === 'node_modules' || name === 'dist') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx)$/.test(name)) out.push(p);
    }
  };
  walk(join(root, dir));
  return out;
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}

function violations(dir: string, forbidden: (spec: string, file: string) => boolean, skip: (file: string) => boolean = () => false): string[] {
  return sources(dir)
    .filter((f) => !skip(f))
    .flatMap((f) => imports(f).filter((s) => forbidden(s, f)).map((s) => `${relative(root, f)} imports ${s}`));
}

const isTestOrBench = (f: string) => /\.test\.tsx?$/.test(f) || f.includes('/bench/') || f.includes('/test-support/');

describe('import layering', () => {
  it('libs/trace never imports an app', () => {
    expect(violations('libs', (s) => s.includes('apps/') || /^@kvtrace\/(server|inspector|cli)/.test(s))).toEqual([]);
  });

  it("libs/trace's browser entry never reaches Node modules", () => {
    const nodeOnly = ['src/node.ts', 'src/record/file-sink.ts', 'src/record/setup.ts'];
    expect(
      violations('libs/trace/src', (s) => s.startsWith('node:') || s === 'fs' || s === 'path', (f) => isTestOrBench(f) || nodeOnly.some((n) => f.endsWith(n))),
    ).toEqual([]);
  });

  it('the storage manager never imports Fastify or the HTTP layer', () => {
    expect(violations('apps/server/src/storage', (s) => s.includes('fastify') || s.includes('../routes') || s.includes('../app'))).toEqual([]);
  });

  it("the inspector's model never imports its views", () => {
    expect(violations('apps/inspector/src/model', (s) => s.includes('/views/') || s.startsWith('react'), isTestOrBench)).toEqual([]);
  });
});
