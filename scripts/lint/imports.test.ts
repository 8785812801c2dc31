/**
 * The import rules (layers.ts) hold for the repository, and the checker itself catches each kind of
 * violation on a made-up tree (so a green run means the rules held, not that the check saw nothing).
 */
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkImports, type Rules } from './check-imports.ts';
import { parseImports, type ImportEdge } from './import-graph.ts';
import type { Layer } from './layers.ts';
import { formatViolation, repoImportViolations } from './repo-imports.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('import rules of the repository', () => {
  it('every import follows scripts/lint/layers.ts: allowlisted layers, package exports only, no cycles, browser bundles without Node', () => {
    expect(repoImportViolations(root).map(formatViolation)).toEqual([]);
  });
});

describe('the import checker', () => {
  const layers: Layer[] = [
    { name: 'lib/low', paths: ['lib/src/low/'], may: [] },
    { name: 'lib/high', paths: ['lib/src/high/'], may: ['lib/low'], packages: ['node:*'] },
    { name: 'lib/entry', paths: ['lib/src/index.ts'], may: ['lib/low', 'lib/high'] },
    { name: 'app/main', paths: ['app/src/main.ts'], may: ['lib/entry'] },
  ];
  const rules: Rules = {
    layers,
    packages: [
      { name: '@x/lib', dir: 'lib', exports: { '.': 'lib/src/index.ts' }, may: [] },
      { name: '@x/app', dir: 'app', exports: {}, may: ['lib'] },
    ],
    browserRoots: ['lib/src/index.ts'],
    isTestCode: (f) => f.endsWith('.test.ts'),
  };
  const files = ['lib/src/low/a.ts', 'lib/src/low/b.ts', 'lib/src/high/c.ts', 'lib/src/index.ts', 'app/src/main.ts', 'app/src/main.test.ts', 'lib/src/stray.ts'];
  /** Edges from source text, resolved against the made-up file list. */
  const edgesOf = (sources: Record<string, string>): ImportEdge[] =>
    Object.entries(sources).flatMap(([from, text]) =>
      parseImports(from, text, (spec) => {
        const dir = from.split('/').slice(0, -1);
        for (const part of spec.split('/')) {
          if (part === '..') dir.pop();
          else if (part !== '.') dir.push(part);
        }
        const f = dir.join('/');
        return files.includes(f) ? f : null;
      }),
    );
  const rulesOf = (sources: Record<string, string>) => checkImports(files, edgesOf(sources), rules).map((v) => `${v.rule} ${v.file}`);

  it('accepts imports that follow the allowlist', () => {
    expect(
      rulesOf({
        'lib/src/high/c.ts': "import { a } from '../low/a.ts';\nimport { readFileSync } from 'node:fs';",
        'lib/src/index.ts': "export { c } from './high/c.ts';",
        'app/src/main.ts': "import { c } from '@x/lib';",
        'lib/src/stray.ts': '',
      }).filter((r) => !r.startsWith('browser') && !r.startsWith('unassigned')),
    ).toEqual([]);
  });

  it('catches a layer importing upwards, a package it may not use, a cycle, a reach into another package, a missing export, a stray file and Node in a browser bundle', () => {
    const found = rulesOf({
      'lib/src/low/a.ts': "import { c } from '../high/c.ts';\nimport { b } from './b.ts';", // upwards
      'lib/src/low/b.ts': "import type { A } from './a.ts';", // a <-> b: a cycle, even of types
      'lib/src/high/c.ts': "import { readFileSync } from 'node:fs';\nimport React from 'react';", // react not allowed
      'lib/src/index.ts': "export { c } from './high/c.ts';", // reaches node:fs at runtime
      'app/src/main.ts': "import { a } from '../../lib/src/low/a.ts';\nimport { x } from '@x/lib/internal';",
      'app/src/main.test.ts': "import { b } from '../../lib/src/low/b.ts';", // tests too: exports only
    });
    expect(found).toEqual(
      expect.arrayContaining([
        'layer lib/src/low/a.ts',
        'cycle lib/src/low/a.ts',
        'layer lib/src/high/c.ts',
        'package app/src/main.ts',
        'exports app/src/main.ts',
        'package app/src/main.test.ts',
        'unassigned lib/src/stray.ts',
        'browser lib/src/high/c.ts',
      ]),
    );
  });

  it('tells type-only imports apart (for the browser check) and reads dynamic import()', () => {
    const edges = parseImports(
      'x.ts',
      "import type { T } from './t.ts';\nimport { type U, type V } from './u.ts';\nimport { W, type Y } from './w.ts';\nconst m = await import('./m.ts');\nexport type { Z } from './z.ts';",
      (s) => s,
    );
    expect(edges.map((e) => [e.spec, e.typeOnly])).toEqual([
      ['./t.ts', true],
      ['./u.ts', true],
      ['./w.ts', false],
      ['./m.ts', false],
      ['./z.ts', true],
    ]);
  });
});
