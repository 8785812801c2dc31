/** The import check over this repository: its graph, its package manifests, the rules of layers.ts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkImports, type Violation, type WorkspacePackage } from './check-imports.ts';
import { importGraph } from './import-graph.ts';
import { BROWSER_ROOTS, isTestCode, LAYERS, PACKAGES, SCANNED } from './layers.ts';

export function workspacePackages(root: string): WorkspacePackage[] {
  return PACKAGES.map(({ dir, may }) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, string> };
    const exports = Object.fromEntries(Object.entries(manifest.exports ?? {}).map(([sub, file]) => [sub, join(dir, file)]));
    return { name: manifest.name, dir, exports, may };
  });
}

export function repoImportViolations(root: string): Violation[] {
  const { files, edges } = importGraph(root, SCANNED);
  return checkImports(files, edges, { layers: LAYERS, packages: workspacePackages(root), browserRoots: BROWSER_ROOTS, isTestCode });
}

export const formatViolation = (v: Violation): string => `${v.file}:${v.line}  [${v.rule}] ${v.message}`;
