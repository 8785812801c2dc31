import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../util/random.ts';
import { SM_METHODS, smQualname } from '../../format/spec.ts';
import { Script, key } from '../testing.ts';
import { testSeed } from '../../test-support/seed.ts';

const SEED = testSeed('query property test');

type Tree = { atom: string } | { op: 'AND' | 'OR' | 'juxt'; a: Tree; b: Tree } | { op: 'NOT'; a: Tree };

const ATOMS = ['method:reserve_write', 'method:finish', 'keys>2', 'keys<=1', 't>0.02', 't<15ms', 'model:beta', 'salt:s1', 'req:r-1', 'mode=new', 'alpha', 'zzz', '#a', 'key:0xb', 'text:"extra_count=0"'];

function randomTree(rnd: () => number, depth: number): Tree {
  if (depth === 0 || rnd() < 0.3) return { atom: ATOMS[Math.floor(rnd() * ATOMS.length)]! };
  const r = rnd();
  if (r < 0.2) return { op: 'NOT', a: randomTree(rnd, depth - 1) };
  return { op: r < 0.5 ? 'AND' : r < 0.8 ? 'OR' : 'juxt', a: randomTree(rnd, depth - 1), b: randomTree(rnd, depth - 1) };
}

/** Fully parenthesised, so the text means exactly the tree whatever the precedence. */
function print(t: Tree): string {
  if ('atom' in t) return t.atom;
  if (t.op === 'NOT') return `NOT (${print(t.a)})`;
  return `(${print(t.a)})${t.op === 'juxt' ? ' ' : ` ${t.op} `}(${print(t.b)})`;
}

function evaluate(t: Tree, atom: (s: string) => Set<number>, all: number[]): Set<number> {
  if ('atom' in t) return atom(t.atom);
  const a = evaluate(t.a, atom, all);
  if (t.op === 'NOT') return new Set(all.filter((c) => !a.has(c)));
  const b = evaluate(t.b, atom, all);
  return new Set(t.op === 'OR' ? all.filter((c) => a.has(c) || b.has(c)) : all.filter((c) => a.has(c) && b.has(c)));
}

function randomIndex(rnd: () => number) {
  const s = new Script();
  const pool = Array.from({ length: 10 }, (_, i) => key(Math.floor(rnd() * 2 ** 32), i % 2 ? 'org/Beta' : 'org/Alpha', i % 3 === 0 ? 's1' : ''));
  const methods = [SM_METHODS.reserveWrite, SM_METHODS.finishWrite, SM_METHODS.submitPrefetchTask, SM_METHODS.finishReadPrefetched];
  // Every method is known even when no call of it was drawn: `method:` of an unknown one is an error.
  for (const m of methods) s.a.index.methods.intern(smQualname(m));
  const n = 5 + Math.floor(rnd() * 40);
  for (let i = 0; i < n; i++) {
    const keys = pool.filter(() => rnd() < 0.25);
    const m = methods[Math.floor(rnd() * methods.length)]!;
    const args: Record<string, unknown> = m === SM_METHODS.submitPrefetchTask ? { keys, external_request_id: `r-${Math.floor(rnd() * 3)}` } : { keys, mode: rnd() < 0.5 ? 'new' : 'all', extra_count: 0 };
    s.call(m, args, rnd() * 0.002);
  }
  return s.a.index;
}

describe('query compiler equals set algebra over its atoms (seeded)', () => {
  it(`random boolean trees (KVTRACE_SEED=${SEED})`, () => {
    const rnd = seededRandom(SEED);
    try {
      for (let run = 0; run < 200; run++) {
        const ix = randomIndex(rnd);
        const all = Array.from({ length: ix.length }, (_, i) => i);
        const cache = new Map<string, Set<number>>();
        const atom = (s: string) => {
          let v = cache.get(s);
          if (!v) cache.set(s, (v = new Set(ix.filter({ text: s }))));
          return v;
        };
        for (let k = 0; k < 5; k++) {
          const tree = randomTree(rnd, 4);
          const text = print(tree);
          expect([...ix.filter({ text })], text).toEqual([...evaluate(tree, atom, all)].sort((a, b) => a - b));
        }
      }
    } catch (e) {
      console.error(`query property test failed: rerun with KVTRACE_SEED=${SEED}`);
      throw e;
    }
  });
});
