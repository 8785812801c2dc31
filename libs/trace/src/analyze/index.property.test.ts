import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SM_METHODS } from '../format/spec.ts';
import { PrefetchRequestSpec, type ObjectKey } from '../model.ts';
import { LAYOUT, Script, key } from './testing.ts';
import { testSeed } from '../test-support/seed.ts';

const SEED = testSeed('analyze property tests');

const METHODS = [...Object.values(SM_METHODS), 'other_method'];
const MODELS = ['org/Alpha', 'org/Beta-7B', 'meta/Gamma'];
const POOL: ObjectKey[] = Array.from({ length: 12 }, (_, i) => key(((i % 4) << 28) | (i * 0x01010101), MODELS[i % 3]!, i === 5 ? 'salt5' : ''));

const callArb = fc.record({
  method: fc.integer({ min: 0, max: METHODS.length - 1 }),
  keys: fc.uniqueArray(fc.integer({ min: 0, max: POOL.length - 1 }), { maxLength: 4 }),
  erid: fc.constantFrom('', 'req-1', 'req-12', 'abc'),
  dt: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.01, noNaN: true }), fc.double({ min: -0.002, max: 0, noNaN: true })),
  spec: fc.boolean(),
});
const textArb = fc.oneof(
  fc.constantFrom('', 'req-1', 'alpha', 'beta', 'salt5', 'mode=new', 'finish', 'read', 'zzz', '0x1', 'hash:2', 'model:gamma', 'req:12', 'text:finish'),
  fc.integer({ min: 0, max: POOL.length - 1 }).chain((i) => fc.integer({ min: 1, max: 20 }).map((n) => POOL[i]!.hashHex.slice(0, n))),
  fc.tuple(fc.constantFrom('alpha', 'req', 'write'), fc.constantFrom('new', '1', 'beta')).map(([a, b]) => `${a} ${b}`),
);
const queryArb = fc.record(
  {
    methods: fc.option(fc.uniqueArray(fc.integer({ min: 0, max: METHODS.length - 1 }), { maxLength: 4 }), { nil: undefined }),
    t0: fc.double({ min: -0.01, max: 0.2, noNaN: true }),
    t1: fc.double({ min: -0.01, max: 0.2, noNaN: true }),
    text: textArb,
    key: fc.integer({ min: 0, max: POOL.length - 1 }),
  },
  { requiredKeys: [] },
);

interface CallSpec { method: number; keys: number[]; erid: string; dt: number; spec: boolean }

function build(calls: CallSpec[]) {
  const s = new Script();
  const truth: { method: number; t: number; keys: ObjectKey[]; erid: string }[] = [];
  for (const c of calls) {
    const name = METHODS[c.method]!;
    const keys = c.keys.map((i) => POOL[i]!);
    s.t = Math.max(0, s.t + c.dt);
    let args: Record<string, unknown> = { keys, mode: 'new' };
    if (name === SM_METHODS.submitPrefetchTask) args = c.spec ? { spec: new PrefetchRequestSpec(keys, LAYOUT), external_request_id: c.erid } : { keys, external_request_id: c.erid };
    const call = s.call(name, args, 0);
    truth[call] = { method: s.a.index.methodOf(call), t: s.t, keys, erid: name === SM_METHODS.submitPrefetchTask ? c.erid : '' };
  }
  return { s, truth };
}

/** The query semantics of FilterQuery.text, written plainly over the inputs. */
function termMatches(term: string, t: { keys: ObjectKey[]; erid: string }, text: string): boolean {
  const colon = term.indexOf(':');
  const field = colon > 0 && ['hash', 'model', 'req', 'text'].includes(term.slice(0, colon)) ? term.slice(0, colon) : null;
  const s = field ? term.slice(colon + 1) : term;
  if (s === '') return true;
  const hex = s.startsWith('0x') ? s.slice(2) : s;
  const isHex = /^[0-9a-f]+$/.test(hex);
  return (
    ((field === null || field === 'hash') && isHex && t.keys.some((k) => k.hashHex.startsWith(hex))) ||
    ((field === null || field === 'model') && t.keys.some((k) => k.modelName.toLowerCase().includes(s))) ||
    (field === null && t.keys.some((k) => k.cacheSalt.toLowerCase().includes(s))) ||
    ((field === null || field === 'req') && t.erid.toLowerCase().includes(s)) ||
    ((field === null || field === 'text') && text.toLowerCase().includes(s))
  );
}

describe('index filter equals a brute-force filter (seeded)', () => {
  it('random traces and queries', () => {
    fc.assert(
      fc.property(fc.array(callArb, { maxLength: 60 }), fc.array(queryArb, { minLength: 1, maxLength: 8 }), (calls, queries) => {
        const { s, truth } = build(calls);
        const ix = s.a.index;
        for (const q of queries) {
          const methods = q.methods?.map((m) => ix.methods.idOf(METHODS[m]!)).filter((m) => m >= 0);
          const keyId = q.key === undefined ? undefined : ix.keyIdOf(POOL[q.key]!);
          const got = [...ix.filter({ methods, t0: q.t0, t1: q.t1, text: q.text, keyId: keyId === -1 ? undefined : keyId })];
          const terms = (q.text ?? '').toLowerCase().split(/\s+/).filter((x) => x !== '');
          const want: number[] = [];
          truth.forEach((t, c) => {
            if (methods && !methods.includes(t.method)) return;
            if (q.t0 !== undefined && t.t < q.t0) return;
            if (q.t1 !== undefined && t.t > q.t1) return;
            if (keyId !== undefined && keyId !== -1 && !t.keys.includes(POOL[q.key!]!)) return;
            // The argument text itself is checked in call-index.test.ts; here it is the index's.
            if (!terms.every((term) => termMatches(term, t, ix.textOf(c)))) return;
            want.push(c);
          });
          expect(got).toEqual(want);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
