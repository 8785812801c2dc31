/**
 * The repository's import graph, read with TypeScript's parser (not regexes): every static import,
 * re-export and dynamic import() of every .ts/.tsx file, whether it is type-only, and where it
 * resolves (a file of the repository, or a package and subpath).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Repository-relative path of the importing file. */
  from: string;
  spec: string;
  /** Erased at runtime (`import type`, `export type`, or every specifier `type`). */
  typeOnly: boolean;
  /** Repository-relative file a relative import resolves to; null for a package import. */
  file: string | null;
  /** For a package import: the package name (`@kvtrace/trace`, `node:fs`, `react`) and its subpath ('.' or './node'). */
  pkg: { name: string; subpath: string } | null;
  line: number;
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'test-results', '.cache', '.reports', 'screenshots']);

/** Every .ts/.tsx file under `dirs` (repository-relative), skipping build output and caches. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (SKIP_DIRS.has(name) || name.startsWith('.')) continue;
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(relative(root, p));
    }
  };
  for (const d of dirs) {
    const p = join(root, d);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory()) walk(p);
    else out.push(d);
  }
  return out.sort();
}

/** The imports of one file's text. */
export function parseImports(from: string, text: string, resolveFile: (spec: string) => string | null): ImportEdge[] {
  const sf = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, from.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (specNode: ts.Expression, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(specNode)) return;
    const spec = specNode.text;
    const line = sf.getLineAndCharacterOfPosition(specNode.getStart(sf)).line + 1;
    if (spec.startsWith('.')) edges.push({ from, spec, typeOnly, file: resolveFile(spec), pkg: null, line });
    else edges.push({ from, spec, typeOnly, file: null, pkg: splitPackage(spec), line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      const allTypes = !!c && !c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, !!c && (c.isTypeOnly || allTypes));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal as ts.Expression, true);
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments[0]) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** `@scope/name/sub/path` → name `@scope/name`, subpath `./sub/path`; `node:fs` stays whole. */
export function splitPackage(spec: string): { name: string; subpath: string } {
  if (spec.startsWith('node:')) return { name: spec, subpath: '.' };
  const parts = spec.split('/');
  const n = spec.startsWith('@') ? 2 : 1;
  const rest = parts.slice(n).join('/');
  return { name: parts.slice(0, n).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/** The graph of every file under `dirs`. Relative specifiers resolve as the bundler does (explicit extension, or /index). */
export function importGraph(root: string, dirs: readonly string[]): { files: string[]; edges: ImportEdge[] } {
  const files = sourceFiles(root, dirs);
  const edges: ImportEdge[] = [];
  for (const f of files) {
    const dir = dirname(join(root, f));
    const resolveFile = (spec: string): string | null => {
      const base = resolve(dir, spec);
      for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return relative(root, c);
      return null;
    };
    edges.push(...parseImports(f, readFileSync(join(root, f), 'utf8'), resolveFile));
  }
  return { files, edges };
}
