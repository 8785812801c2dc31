import { describe, expect, it } from 'vitest';
import { Script, key } from '../testing.ts';
import { QueryError } from './ast.ts';

/** Seven calls of known shape (the same script as call-index.test.ts), 1 ms apart from t = 1 ms. */
function script() {
  const s = new Script();
  const A = key(0xabcd0001), B = key(0xabcd0002), C = key(0x12340000, 'meta/Llama-3'), D = key(0xabcd0001, 'org/Model-A', 'salty');
  const calls = {
    r: s.reserve([A, B]),
    f: s.finishWrite([A, B]),
    p: s.prefetch([A, C], 'req-17'),
    e: s.enter([A, C]),
    x: s.exit([A, C]),
    d: s.release([A, C]),
    r2: s.reserve([D, D, B]),
  };
  return { s, ix: s.a.index, A, C, calls };
}

const errorOf = (f: () => unknown): QueryError => {
  try {
    f();
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error('no error');
};

describe('CallIndex.filter with the query language', () => {
  const { ix, A, C, calls } = script();
  const q = (text: string) => [...ix.filter({ text })];
  const { r, f, p, e, x, d, r2 } = calls;

  it('fields', () => {
    expect(q('method:reserve_write')).toEqual([r, r2]);
    expect(q('method:FINISH')).toEqual([f, d]); // no exact name: contained
    expect(q('method:lmcache.v1.distributed.storage_manager.StorageManager.finish_write')).toEqual([f]);
    expect(q(`key:#${C.hashHex.slice(0, 8)}`)).toEqual([p, e, x, d]);
    expect(q(`hash:0x${C.hashHex.slice(0, 4).toUpperCase()}`)).toEqual([p, e, x, d]);
    expect(q(`#${A.hashHex.slice(0, 8)}`)).toEqual([r, f, p, e, x, d, r2]); // D shares A's hash
    expect(q('model:llama')).toEqual([p, e, x, d]);
    expect(q('salt:salty')).toEqual([r2]);
    expect(q('salt:llama')).toEqual([]);
    expect(q('req:REQ-1')).toEqual([p]);
    expect(q('text:finish')).toEqual([f, d]);
  });

  it('numbers: keys, t (seconds since the start, with units), dur', () => {
    expect(q('keys>2')).toEqual([]); // D twice is one key: the index dedupes
    expect(q('keys=1')).toEqual([]);
    expect(q('keys>=2')).toEqual([r, f, p, e, x, d, r2]);
    expect(q('keys<2')).toEqual([]);
    const t = ix.timeOf(e);
    expect(q(`t>${t}`)).toEqual([x, d, r2]);
    expect(q(`t>=${t * 1000}ms`)).toEqual([e, x, d, r2]);
    expect(q('t<2500us')).toEqual([r, f]);
    expect(q('t<=0.002')).toEqual([r, f]);
    const spans = { spanDurationOfCall: (c: number) => (c === p || c === e ? 0.02 : c === x ? 0.005 : NaN) };
    expect([...ix.filter({ text: 'dur>10ms' }, spans)]).toEqual([p, e]);
    expect([...ix.filter({ text: 'dur<10ms' }, spans)]).toEqual([x]);
    // Calls in no request never satisfy a comparison; NOT keeps them.
    expect([...ix.filter({ text: 'NOT dur>10ms' }, spans)]).toEqual([r, f, x, d, r2]);
  });

  it('AND, OR, NOT, parentheses', () => {
    expect(q('method:reserve_write OR method:finish_write')).toEqual([r, f, r2]);
    expect(q('method:reserve_write salt:salty')).toEqual([r2]);
    expect(q('method:reserve_write AND NOT salt:salty')).toEqual([r]);
    expect(q('NOT (model:llama OR method:reserve_write)')).toEqual([f]);
    expect(q('(model:llama OR salt:salty) t<6.5ms')).toEqual([p, e, x, d]);
    expect(q('(model:llama OR salt:salty) t<5.5ms')).toEqual([p, e, x]);
    expect(q('nothing-like-this OR method:finish_write')).toEqual([f]);
    expect(q('NOT nothing-like-this')).toEqual([r, f, p, e, x, d, r2]);
  });

  it('values as the table displays them, bare words as before', () => {
    expect(q('mode="new"')).toEqual([r, r2]);
    expect(q('mode=new')).toEqual([r, r2]);
    expect(q('mode=ne')).toEqual([]); // a whole argument, not a piece of one
    expect(q('mode!=new')).toEqual([f, p, e, x, d]);
    expect(q('external_request_id="req-17"')).toEqual([p]);
    expect(q('llama')).toEqual([p, e, x, d]);
    expect(q('0xabcd00')).toEqual([r, f, p, e, x, d, r2]);
    expect(q('"req-17"')).toEqual([p]);
    expect(q('nothing-like-this')).toEqual([]);
  });

  it('keeps the other FilterQuery parts', () => {
    const reserve = ix.methods.idOf('reserve_write');
    expect([...ix.filter({ text: 'keys>=2', methods: [reserve] })]).toEqual([r, r2]);
    expect([...ix.filter({ text: 'model:org', keyId: ix.keyIdOf(A), t1: ix.timeOf(f) })]).toEqual([r, f]);
  });

  it('a wrong query is an error with its place, never 0 results', () => {
    const dur = errorOf(() => ix.filter({ text: 'method:finish_write dur>10ms' }));
    expect(dur.reason).toContain('request spans are not available');
    expect([dur.start, dur.end]).toEqual([20, 28]);
    const m = errorOf(() => ix.filter({ text: 'method:bogus' }));
    expect(m.reason).toContain('no method of this trace is "bogus"');
    expect(m.reason).toContain('reserve_write');
    expect(m.start).toBe(0);
    expect(() => ix.filter({ text: 'modle:llama' })).toThrow(/unknown field "modle:".*column 1/);
  });
});

describe('server: with several traces in one index', () => {
  /** Three servers with the same calls: the same ObjectKeys in each (setSource keeps them apart). */
  function fleet() {
    const s = new Script();
    const A = key(0xabcd0001), C = key(0x12340000, 'meta/Llama-3');
    const calls: Record<string, number[]> = {};
    for (const server of ['node-1', 'node-2', 'node-12']) {
      s.a.index.setSource(server);
      calls[server] = [s.reserve([A, C]), s.finishWrite([A, C]), s.prefetch([A], `req-${server}`), s.enter([A]), s.exit([A]), s.release([A])];
    }
    return { ix: s.a.index, a: s.a, calls, A };
  }
  const { ix, a, calls, A } = fleet();
  const q = (text: string) => [...ix.filter({ text })];

  it('an exact name (any case) picks that server only, else every name containing it', () => {
    expect(q('server:node-1')).toEqual(calls['node-1']);
    expect(q('server:NODE-12')).toEqual(calls['node-12']);
    expect(q('server:node')).toEqual([...calls['node-1']!, ...calls['node-2']!, ...calls['node-12']!]);
    expect(q('server:"de-2"')).toEqual(calls['node-2']);
  });

  it('combines with every other part, across all servers', () => {
    const [, , p1] = calls['node-1']!, [, , p2] = calls['node-2']!, [, , p12] = calls['node-12']!;
    expect(q('method:submit_prefetch_task')).toEqual([p1, p2, p12]);
    expect(q('method:submit_prefetch_task NOT server:node-2')).toEqual([p1, p12]);
    expect(q('server:node-12 OR req:req-node-1')).toEqual([p1, ...calls['node-12']!]);
    // A key filter is one server's key (KeyTable identity includes the source): server: agrees with it.
    ix.keys.source = 1;
    const keyOfNode2 = ix.keyIdOf(A);
    expect([...ix.filter({ keyId: keyOfNode2, text: 'server:node-2' })]).toEqual(calls['node-2']);
    expect([...ix.filter({ keyId: keyOfNode2, text: 'server:node-1' })]).toEqual([]);
    // The analyzer's filter lends every span reader (dur and the phases) to the query.
    expect([...a.filter({ text: 'server:node-1 wait>=0' })]).toEqual(calls['node-1']!.slice(2));
    expect([...a.filter({ text: 'server:node-1 dur>=0' })]).toEqual(calls['node-1']);
  });

  it('a server nobody has, or server: with one trace, is an error naming what there is', () => {
    const e = errorOf(() => ix.filter({ text: 'method:finish_write server:node-9' }));
    expect(e.reason).toBe('no server is "node-9" (servers: node-1, node-2, node-12)');
    expect([e.start, e.end]).toEqual([20, 33]);
    const one = errorOf(() => script().ix.filter({ text: 'server:x' }));
    expect(one.reason).toContain('one trace is open');
  });
});
