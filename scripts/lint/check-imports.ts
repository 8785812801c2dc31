/**
 * The import rules of layers.ts, checked over an import graph: layer allowlists, package
 * boundaries (exports only), no cycles, browser bundles free of Node builtins. Pure: the graph and
 * the package manifests come in, violations go out (so the checks are tested on made-up trees).
 */
import type { ImportEdge } from './import-graph.ts';
import type { Layer } from './layers.ts';

export interface Violation {
  rule: 'layer' | 'package' | 'exports' | 'unresolved' | 'unassigned' | 'cycle' | 'browser';
  file: string;
  line: number;
  message: string;
}

export interface WorkspacePackage {
  name: string;
  dir: string;
  /** Subpath ('.', './node') → repository-relative file. */
  exports: Record<string, string>;
  /** Other workspace package folders it may depend on. */
  may: string[];
}

export interface Rules {
  layers: readonly Layer[];
  packages: readonly WorkspacePackage[];
  browserRoots: readonly string[];
  isTestCode(file: string): boolean;
}

const inDir = (file: string, dir: string) => file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

export function layerOf(file: string, layers: readonly Layer[]): Layer | null {
  let best: Layer | null = null;
  let bestLen = -1;
  for (const l of layers)
    for (const p of l.paths)
      if ((p.endsWith('/') ? file.startsWith(p) : file === p) && p.length > bestLen) {
        best = l;
        bestLen = p.length;
      }
  return best;
}

const packageAllowed = (name: string, allowed: readonly string[] = []) =>
  allowed.some((a) => a === name || (a.endsWith('*') && name.startsWith(a.slice(0, -1))));

/** Where an edge lands in the repository: its file, also for a workspace package import (its export's file). */
function target(e: ImportEdge, byName: Map<string, WorkspacePackage>): string | null {
  if (e.file) return e.file;
  const p = e.pkg && byName.get(e.pkg.name);
  return p ? (p.exports[e.pkg!.subpath] ?? null) : null;
}

export function checkImports(files: readonly string[], edges: readonly ImportEdge[], rules: Rules): Violation[] {
  const out: Violation[] = [];
  const byName = new Map(rules.packages.map((p) => [p.name, p]));
  const pkgOf = (f: string) => rules.packages.find((p) => inDir(f, p.dir)) ?? null;
  const layerNames = new Set(rules.layers.map((l) => l.name));
  for (const l of rules.layers) for (const m of l.may) if (!layerNames.has(m)) throw new Error(`layers.ts: ${l.name} lists unknown layer ${m}`);

  for (const f of files) {
    const p = pkgOf(f);
    if (p && inDir(f, `${p.dir}/src`) && !rules.isTestCode(f) && !layerOf(f, rules.layers))
      out.push({ rule: 'unassigned', file: f, line: 1, message: `belongs to no layer of scripts/lint/layers.ts: add it to one (its folder says what it may import)` });
  }

  for (const e of edges) {
    const from = pkgOf(e.from);
    const v = (rule: Violation['rule'], message: string) => out.push({ rule, file: e.from, line: e.line, message });
    if (e.pkg && byName.has(e.pkg.name)) {
      const to = byName.get(e.pkg.name)!;
      if (!(e.pkg.subpath in to.exports)) {
        v('exports', `imports ${e.spec}: ${to.name} exports only ${Object.keys(to.exports).map((s) => (s === '.' ? to.name : `${to.name}/${s.slice(2)}`)).join(', ')}`);
        continue;
      }
      if (from && from !== to && !from.may.includes(to.dir)) v('package', `imports ${e.spec}: ${from.dir} may not depend on ${to.dir}`);
    } else if (e.file === null && e.pkg === null) {
      v('unresolved', `imports ${e.spec}, which is no file`);
      continue;
    } else if (e.file) {
      const to = pkgOf(e.file);
      if (to && to !== from) {
        v('package', `imports ${e.spec}: the inside of ${to.dir} (${e.file}); use ${to.name}'s exports`);
        continue;
      }
    }
    if (!from || rules.isTestCode(e.from)) continue;
    const layer = layerOf(e.from, rules.layers);
    if (!layer) continue; // reported as unassigned
    const file = target(e, byName);
    if (file) {
      if (rules.isTestCode(file)) {
        v('layer', `imports ${e.spec}: test code, from ${layer.name} (production)`);
        continue;
      }
      const tl = layerOf(file, rules.layers);
      if (!tl) v('layer', `imports ${e.spec} (${file}), which is in no layer`);
      else if (tl !== layer && !layer.may.includes(tl.name)) v('layer', `imports ${e.spec}: ${layer.name} may not import ${tl.name} (allowed: ${layer.may.join(', ') || 'nothing'})`);
    } else if (e.pkg && !packageAllowed(e.pkg.name, layer.packages)) {
      v('layer', `imports ${e.spec}: ${layer.name} may not use the package ${e.pkg.name} (allowed: ${(layer.packages ?? []).join(', ') || 'none'})`);
    }
  }

  out.push(...cycles(files, edges, byName));
  out.push(...browserViolations(edges, rules.browserRoots, byName));
  return out;
}

/** Import cycles among the repository's files (type-only imports included: a cycle of types is still a knot). */
function cycles(files: readonly string[], edges: readonly ImportEdge[], byName: Map<string, WorkspacePackage>): Violation[] {
  const next = new Map<string, { to: string; line: number }[]>();
  for (const f of files) next.set(f, []);
  for (const e of edges) {
    const t = target(e, byName);
    if (t && next.has(t)) next.get(e.from)?.push({ to: t, line: e.line });
  }
  // Tarjan's strongly connected components, iterative (deep chains would overflow the stack).
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: Violation[] = [];
  for (const start of files) {
    if (idx.has(start)) continue;
    const work: { node: string; i: number }[] = [{ node: start, i: 0 }];
    idx.set(start, index);
    low.set(start, index++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const top = work[work.length - 1]!;
      const succ = next.get(top.node)!;
      if (top.i < succ.length) {
        const w = succ[top.i++]!.to;
        if (!idx.has(w)) {
          idx.set(w, index);
          low.set(w, index++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, i: 0 });
        } else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, idx.get(w)!));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!.node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) === idx.get(top.node)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== top.node);
        const selfLoop = scc.length === 1 && next.get(scc[0]!)!.some((s) => s.to === scc[0]);
        if (scc.length > 1 || selfLoop) {
          const members = new Set(scc);
          const first = [...scc].sort()[0]!;
          const line = next.get(first)!.find((s) => members.has(s.to))?.line ?? 1;
          out.push({ rule: 'cycle', file: first, line, message: `import cycle through ${[...scc].sort().join(' -> ')}` });
        }
      }
    }
  }
  return out;
}

/** Runtime imports reachable from each browser root must not include a Node builtin. */
function browserViolations(edges: readonly ImportEdge[], roots: readonly string[], byName: Map<string, WorkspacePackage>): Violation[] {
  const byFrom = new Map<string, ImportEdge[]>();
  for (const e of edges) if (!e.typeOnly) (byFrom.get(e.from) ?? byFrom.set(e.from, []).get(e.from)!).push(e);
  const out: Violation[] = [];
  for (const root of roots) {
    const via = new Map<string, string | null>([[root, null]]);
    const queue = [root];
    while (queue.length > 0) {
      const f = queue.shift()!;
      for (const e of byFrom.get(f) ?? []) {
        if (e.pkg?.name.startsWith('node:')) {
          const chain: string[] = [];
          for (let c: string | null = f; c; c = via.get(c) ?? null) chain.unshift(c);
          out.push({ rule: 'browser', file: e.from, line: e.line, message: `imports ${e.spec}, and the browser bundle ${root} reaches this file: ${chain.join(' -> ')}` });
          continue;
        }
        const t = target(e, byName);
        if (t && !via.has(t)) {
          via.set(t, f);
          queue.push(t);
        }
      }
    }
  }
  return out;
}
