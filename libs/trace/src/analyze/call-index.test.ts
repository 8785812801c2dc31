import { describe, expect, it } from 'vitest';
import { ObjectKey } from '../model.ts';
import { TraceAnalyzer } from './analyzer.ts';
import { Script, key } from './testing.ts';
import { transferable } from './transfer.ts';

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
    r2: s.reserve([D, D]),
  };
  return { s, A, B, C, D, calls };
}

describe('CallIndex', () => {
  it('interns keys by the identity of ObjectKey.id, dedupes within a call', () => {
    const { s, A, D, calls } = script();
    const ix = s.a.index;
    expect(ix.keys.size).toBe(4);
    expect(ix.keyIdOf(new ObjectKey(A.chunkHash, A.modelName, A.kvRank, A.objectGroupId, A.cacheSalt))).toBe(ix.keyIdOf(A));
    expect(ix.keyIdOf(D)).not.toBe(ix.keyIdOf(A)); // same hash, other salt
    expect(ix.keyIdOf(key(99))).toBe(-1);
    expect([...ix.keysOfCall(calls.r2)]).toEqual([ix.keyIdOf(D)]);
    const info = ix.keyInfo(ix.keyIdOf(A));
    expect(info).toMatchObject({ hashHex: A.hashHex, modelName: 'org/Model-A', kvRank: 0x01000100, world: 1, localWorld: 1, calls: 6 });
    expect(ix.keys.objectKey(ix.keyIdOf(D)).id).toBe(D.id);
  });

  it('follows a key, filters by method and time window', () => {
    const { s, A, C, calls } = script();
    const ix = s.a.index;
    expect([...ix.callsOfKey(ix.keyIdOf(C))]).toEqual([calls.p, calls.e, calls.x, calls.d]);
    expect([...ix.filter({ keyId: ix.keyIdOf(A) })]).toEqual([0, 1, 2, 3, 4, 5]);
    const reserve = ix.methods.idOf('reserve_write');
    expect([...ix.filter({ methods: new Set([reserve]) })]).toEqual([calls.r, calls.r2]);
    expect([...ix.filter({ methods: [] })]).toEqual([]);
    expect([...ix.filter({ t0: ix.timeOf(calls.f), t1: ix.timeOf(calls.x) })]).toEqual([calls.f, calls.p, calls.e, calls.x]);
    expect([...ix.filter({ keyId: ix.keyIdOf(A), t0: ix.timeOf(calls.e), methods: [ix.methods.idOf('finish_read_prefetched')] })]).toEqual([calls.d]);
  });

  it('text: hash prefixes, model names, salts, request ids, argument text; terms AND', () => {
    const { s, calls } = script();
    const ix = s.a.index;
    expect([...ix.filter({ text: 'abcd0002' })]).toEqual([calls.r, calls.f]);
    expect([...ix.filter({ text: '0xABCD00' })]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...ix.filter({ text: 'hash:1234' })]).toEqual([calls.p, calls.e, calls.x, calls.d]);
    expect([...ix.filter({ text: 'llama' })]).toEqual([calls.p, calls.e, calls.x, calls.d]);
    expect([...ix.filter({ text: 'model:model-a' })]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...ix.filter({ text: 'salty' })]).toEqual([calls.r2]);
    expect([...ix.filter({ text: 'req-17' })]).toEqual([calls.p]);
    expect([...ix.filter({ text: 'mode=new' })]).toEqual([calls.r, calls.r2]);
    expect([...ix.filter({ text: 'mode=new abcd0002' })]).toEqual([calls.r]);
    expect([...ix.filter({ text: 'finish' })]).toEqual([calls.f, calls.d]);
    expect([...ix.filter({ text: 'nothing-like-this' })]).toEqual([]);
    // A long prefix (past the 16 digits held in the key table's columns) is checked byte by byte.
    const A = key(0xabcd0001);
    expect([...ix.filter({ text: A.hashHex.slice(0, 40) })]).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...ix.filter({ text: A.hashHex.slice(0, 39) + 'f' })]).toEqual([]);
  });

  it('a trimmed index drops its key-list table, and rebuilds it if calls come again: lists are still kept once', () => {
    const { s, A, B, C, calls } = script();
    s.a.trim();
    const again = s.reserve([A, B]);
    const fresh = s.reserve([C, B]);
    const repeat = s.reserve([C, B]);
    const { keyList } = s.a.index.columns();
    expect(keyList[again]).toBe(keyList[calls.r]);
    expect(keyList[repeat]).toBe(keyList[fresh]);
    expect(new Set(keyList).size).toBe(new Set([...keyList.subarray(0, again)]).size + 1);
    expect([...s.a.index.keysOfCall(repeat)]).toEqual([s.a.index.keyIdOf(C), s.a.index.keyIdOf(B)]);
  });

  it('a trimmed index drops its key and request-id hash slots: lookups still find them, and calls that come again get the same ids', () => {
    const { s, A, B, C, D, calls } = script();
    const ix = s.a.index;
    const ids = [A, B, C, D].map((k) => ix.keyIdOf(k));
    const before = ix.keys.byteLength + ix.erids.byteLength;
    s.a.trim();
    expect(ix.keys.byteLength + ix.erids.byteLength).toBeLessThan(before);
    expect([A, B, C, D].map((k) => ix.keyIdOf(k))).toEqual(ids);
    expect(ix.keyIdOf(key(99))).toBe(-1);
    expect(ix.erids.idOf('req-17')).toBe(ix.eridIdOf(calls.p));
    expect([...ix.filter({ text: 'req:req-17' })]).toEqual([calls.p]);
    const E = key(0xabcd0003);
    const p2 = s.prefetch([E, A], 'req-17');
    const p3 = s.prefetch([E], 'req-18');
    expect(ix.keyIdOf(A)).toBe(ids[0]);
    expect(ix.keyIdOf(E)).toBe(4);
    expect([...ix.keysOfCall(p2)]).toEqual([4, ids[0]]);
    expect(ix.eridIdOf(p2)).toBe(ix.eridIdOf(calls.p));
    expect(ix.externalRequestIdOf(p3)).toBe('req-18');
    expect([...ix.filter({ text: 'req:req-17' })]).toEqual([calls.p, p2]);
  });

  it('keysOfCall: a recent list is the same view again, and views follow keyRefs as it grows and is trimmed', () => {
    const s = new Script();
    const keys = Array.from({ length: 9002 }, (_, i) => key(0x5000 + i));
    const lists = (c: number) => [keys[c]!, keys[c + 1]!, keys[(c * 7) % 9000]!];
    const want = (c: number) => [...new Set(lists(c).map((k) => s.a.index.keyIdOf(k)))];
    // 9,000 calls, each its own list of up to 3 keys: keyRefs (16k ids at first) is reallocated on the way.
    const calls: number[] = [];
    const ix = s.a.index;
    let first: ArrayBufferLike | null = null;
    for (let c = 0; c < 9000; c++) {
      calls.push(c % 2 === 0 ? s.reserve(lists(c)) : s.prefetch(lists(c), `r-${c}`));
      first ??= ix.columns().keyRefs.buffer;
    }
    expect(ix.columns().keyRefs.buffer).not.toBe(first);
    const v = ix.keysOfCall(calls[8999]!);
    expect(ix.keysOfCall(calls[8999]!)).toBe(v); // asked again: no new view
    // Every call, in an order that makes lists evict each other from the kept views.
    for (const c of [...calls.keys()].sort((a, b) => ((a * 7919) % 9001) - ((b * 7919) % 9001))) expect([...ix.keysOfCall(calls[c]!)]).toEqual(want(c));
    expect(ix.keysOfCall(calls[5]!).buffer).toBe(ix.columns().keyRefs.buffer);
    const before = ix.columns().keyRefs.buffer;
    expect(ix.keysOfCall(calls[5]!).buffer).toBe(before); // kept, then:
    s.a.trim();
    // Trimmed (keyRefs copied to its exact size): the kept view is not handed out, it would keep
    // the dropped buffer alive.
    expect(ix.columns().keyRefs.buffer).not.toBe(before);
    expect(ix.keysOfCall(calls[5]!).buffer).toBe(ix.columns().keyRefs.buffer);
    for (let c = 0; c < 9000; c += 97) expect([...ix.keysOfCall(calls[c]!)]).toEqual(want(c));
  });

  it('argument texts: 1 byte a call while there are few, widened as more come; every call keeps its own', () => {
    const a = new TraceAnalyzer();
    const m = a.index.methods.intern('StorageManager.contains');
    const texts = (n: number) => Array.from({ length: n }, (_, i) => `label-${i}`);
    for (let i = 0; i < 200; i++) a.add(i, m, i, { note: `label-${i % 7}` });
    expect(a.index.toPart().textId.BYTES_PER_ELEMENT).toBe(1);
    // Past 256 distinct texts, then past 65,536: the column widens, earlier ids unchanged.
    for (const [i, t] of texts(70_000).entries()) a.add(200 + i, m, 200 + i, { note: t });
    expect(a.index.toPart().textId.BYTES_PER_ELEMENT).toBe(4);
    a.trim();
    for (const c of [0, 6, 199, 200, 455, 456, 65_735, 65_736, 70_199]) expect(a.index.textOf(c)).toBe(`contains note=label-${c < 200 ? c % 7 : c - 200}`);
    expect([...a.index.filter({ text: 'note=label-69999' })]).toEqual([70_199]);
    expect([...a.index.filter({ text: 'note=label-3' }).filter((c) => c < 200)]).toEqual(Array.from({ length: 29 }, (_, k) => 3 + 7 * k));
  });

  it('keeps working while calls stream in (postings plus a scanned tail), out-of-order times too', () => {
    const s = new Script();
    const K = key(7);
    const expected: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const k = i % 3 === 0 ? K : key(1000 + i);
      const c = s.reserve([k]);
      if (k === K) expected.push(c);
      if (i % 2500 === 0) expect([...s.a.index.callsOfKey(s.id(K))]).toEqual(expected);
    }
    expect([...s.a.index.callsOfKey(s.id(K))]).toEqual(expected);
    s.t = 0; // time goes back: the window must be checked per call now
    const late = s.reserve([K]);
    expect([...s.a.filter({ t1: 0.0015 })]).toEqual([0, late]);
  });

  it('results own their buffers and can be transferred', () => {
    const { s } = script();
    const r = s.a.filter({ text: 'abcd' });
    expect(r.byteLength).toBe(r.buffer.byteLength);
    const view = new Uint32Array([1, 2, 3, 4]).subarray(1, 3);
    const t = transferable(view);
    expect([...t.value]).toEqual([2, 3]);
    expect(t.transfer[0]!.byteLength).toBe(8);
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(r, transferable(r).transfer);
    expect(r.byteLength).toBe(0); // moved, not copied
    port1.close();
    port2.close();
  });
});
