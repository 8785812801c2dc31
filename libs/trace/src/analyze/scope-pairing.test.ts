import { describe, expect, it } from 'vitest';
import { ObjectKey } from '../model.ts';
import { testKey, testSeed } from '../test-support/index.ts';
import { seededRandom } from '../util/random.ts';
import { ScopePairer, asKeyList, keyListHash, sameKeyList, scopeSide } from './scope-pairing.ts';

const SEED = testSeed('scope pairing property test');
/** The same key decoded again: equal fields, another object (as an exit's keys are). */
const again = (k: ObjectKey) => new ObjectKey(k.chunkHash, k.modelName, k.kvRank, k.objectGroupId, k.cacheSalt);

describe('scope pairing', () => {
  it('names the scope and side of enter/exit qualnames; accepts only lists of ObjectKeys', () => {
    expect(scopeSide('a.B.read_prefetched_results.__enter__')).toEqual({ scope: 'a.B.read_prefetched_results', side: 'enter' });
    expect(scopeSide('a.B.read_prefetched_results.__exit__')).toEqual({ scope: 'a.B.read_prefetched_results', side: 'exit' });
    expect(scopeSide('a.B.finish_write')).toBeNull();
    expect(asKeyList([testKey(1)])).toHaveLength(1);
    expect(asKeyList([testKey(1), 'x'])).toBeNull();
    expect(asKeyList('keys')).toBeNull();
  });

  it('keys are equal by every field, not by object', () => {
    const k = testKey(5, 'm', 's');
    expect(sameKeyList([k], [again(k)])).toBe(true);
    for (const other of [testKey(5, 'm2', 's'), testKey(5, 'm', 't'), new ObjectKey(k.chunkHash, 'm', 1, 0, 's'), new ObjectKey(k.chunkHash, 'm', k.kvRank, 1, 's'), testKey(6, 'm', 's')])
      expect(sameKeyList([k], [other])).toBe(false);
    expect(sameKeyList([k], [k, k])).toBe(false);
  });

  it('pairs first-in first-out per key list; drain returns what is open, oldest first', () => {
    const p = new ScopePairer<string>();
    const a = [testKey(1), testKey(2)];
    const b = [testKey(3)];
    p.enter('s', a, 'a1');
    p.enter('s', b, 'b1');
    p.enter('s', a.map(again), 'a2');
    expect(p.exit('t', a)).toBeUndefined(); // another scope
    expect(p.exit('s', a.map(again))).toBe('a1');
    expect(p.exit('s', [testKey(2), testKey(1)])).toBeUndefined(); // order matters
    p.enter('s', b, 'b2');
    expect(p.openCount).toBe(3);
    expect(p.drain()).toEqual(['b1', 'a2', 'b2']);
    expect(p.openCount).toBe(0);
  });

  it('a key list that never fully closes keeps its order while the consumed front is dropped', () => {
    const p = new ScopePairer<number>();
    const k = [testKey(9)];
    for (let i = 0; i < 200; i++) p.enter('s', k, i);
    for (let i = 0; i < 150; i++) expect(p.exit('s', k)).toBe(i);
    for (let i = 200; i < 210; i++) p.enter('s', k, i);
    expect(p.exit('s', k)).toBe(150);
    expect(p.drain()).toEqual(Array.from({ length: 59 }, (_, i) => 151 + i));
  });

  it('lists with the same hash but other keys do not pair', () => {
    // Same first and last four hash bytes, another byte in the middle: the same keyListHash.
    const h1 = new Uint8Array(32).fill(7);
    const h2 = h1.slice();
    h2[10] = 8;
    const x = [new ObjectKey(h1, 'm')];
    const y = [new ObjectKey(h2, 'm')];
    expect(keyListHash(x)).toBe(keyListHash(y));
    const p = new ScopePairer<string>();
    p.enter('s', x, 'x');
    expect(p.exit('s', y)).toBeUndefined();
    expect(p.exit('s', x)).toBe('x');
  });

  it('equals a reference FIFO by key-list identity on seeded random enters and exits (thousands of steps)', () => {
    const rand = seededRandom(SEED);
    const pool = Array.from({ length: 12 }, (_, i) => testKey(i, i % 3 ? 'm' : 'n'));
    const lists = Array.from({ length: 20 }, () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pool[Math.floor(rand() * pool.length)]!));
    const id = (ks: readonly ObjectKey[]) => ks.map((k) => k.id).join(';');
    const p = new ScopePairer<number>();
    const ref = new Map<string, number[]>();
    const order: number[] = [];
    for (let step = 0; step < 5000; step++) {
      const scope = rand() < 0.8 ? 's' : 't';
      const keys = lists[Math.floor(rand() * lists.length)]!.map((k) => (rand() < 0.5 ? again(k) : k));
      const rid = scope + '|' + id(keys);
      if (rand() < 0.5) {
        p.enter(scope, keys, step);
        ref.set(rid, [...(ref.get(rid) ?? []), step]);
        order.push(step);
      } else {
        const want = ref.get(rid)?.shift();
        expect(p.exit(scope, keys), `step ${step}`).toBe(want);
        if (want !== undefined) order.splice(order.indexOf(want), 1);
      }
      expect(p.openCount).toBe(order.length);
    }
    expect(p.drain()).toEqual(order);
  });
});
