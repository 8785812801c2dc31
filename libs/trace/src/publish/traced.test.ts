import { describe, expect, it } from 'vitest';
import { TraceGate, traceMethods, tracedFunction, useScope, type Scope } from './traced.ts';
import { ObjectKey, type CallEvent } from '../model.ts';

function tracer() {
  const events: CallEvent[] = [];
  return { gate: new TraceGate(), events, publish: (e: CallEvent) => events.push(e) };
}

class Store {
  calls = 0;
  put(keys: ObjectKey[], mode = 'new'): number {
    this.calls++;
    return keys.length + (mode === 'new' ? 0 : 100);
  }
  fail(_keys: ObjectKey[]): never {
    throw new Error('boom');
  }
  read(keys: ObjectKey[]): Scope<number> {
    const log = (this.log ??= []);
    return { enter: () => (log.push('enter'), keys.length), exit: (e) => void log.push(e ? 'exit-error' : 'exit') };
  }
  log?: string[];
}

const key = (b: number) => new ObjectKey(new Uint8Array([b]), 'm');

describe('traced wrapper', () => {
  it('gate off: no event, no argument work, the result is unchanged', () => {
    const t = tracer();
    const s = traceMethods(new Store(), { put: { qualname: 'q.put', params: ['keys', { name: 'mode', default: 'new' }] } }, t);
    // An argument that throws when touched proves the wrapper does not look at it.
    const poisoned = new Proxy([] as ObjectKey[], { get: (o, p) => (p === 'length' ? 0 : Reflect.get(o, p)), ownKeys: () => { throw new Error('touched'); } });
    expect(s.put(poisoned)).toBe(0);
    expect(t.events).toHaveLength(0);
  });

  it('gate on: qualname, parameter names, defaults filled in, time taken in the caller at call start', () => {
    const t = tracer();
    t.gate.enabled = true;
    const s = traceMethods(new Store(), { put: { qualname: 'q.put', params: ['keys', { name: 'mode', default: 'new' }] } }, t);
    const before = performance.now() / 1000;
    expect(s.put([key(1), key(2)])).toBe(2);
    const after = performance.now() / 1000;
    expect(t.events).toHaveLength(1);
    const e = t.events[0]!;
    expect(e.qualname).toBe('q.put');
    expect(e.argNames).toEqual(['keys', 'mode']);
    expect(e.args[1]).toBe('new');
    expect(e.tMono).toBeGreaterThanOrEqual(before);
    expect(e.tMono).toBeLessThanOrEqual(after);
    expect(Math.abs(e.tWall - Date.now() / 1000)).toBeLessThan(1);
  });

  it('captures arguments: a caller mutating its array afterwards does not change the record', () => {
    const t = tracer();
    t.gate.enabled = true;
    const s = traceMethods(new Store(), { put: { qualname: 'q.put', params: ['keys', 'mode'] } }, t);
    const keys = [key(1)];
    s.put(keys, 'all');
    keys.push(key(2));
    keys[0] = key(9);
    expect((t.events[0]!.args[0] as ObjectKey[]).map((k) => k.hashHex)).toEqual(['01']);
  });

  it('entry-only: the record exists even when the call throws', () => {
    const t = tracer();
    t.gate.enabled = true;
    const s = traceMethods(new Store(), { fail: { qualname: 'q.fail', params: ['keys'] } }, t);
    expect(() => s.fail([key(1)])).toThrow('boom');
    expect(t.events.map((e) => e.qualname)).toEqual(['q.fail']);
  });

  it('a scoped method records __enter__ and __exit__, exit also when the body throws', () => {
    const t = tracer();
    t.gate.enabled = true;
    const s = traceMethods(new Store(), { read: { qualname: 'q.read', params: ['keys'], scoped: true } }, t);
    expect(useScope(s.read([key(1), key(2)]), (n) => n * 10)).toBe(20);
    expect(() => useScope(s.read([key(3)]), () => { throw new Error('body'); })).toThrow('body');
    expect(t.events.map((e) => e.qualname)).toEqual(['q.read.__enter__', 'q.read.__exit__', 'q.read.__enter__', 'q.read.__exit__']);
    expect(s.log).toEqual(['enter', 'exit', 'enter', 'exit-error']);
  });

  it('async scope bodies exit after they settle', async () => {
    const t = tracer();
    t.gate.enabled = true;
    const s = traceMethods(new Store(), { read: { qualname: 'q.read', params: ['keys'], scoped: true } }, t);
    await expect(useScope(s.read([key(1)]), async () => { throw new Error('later'); })).rejects.toThrow('later');
    expect(t.events.map((e) => e.qualname)).toEqual(['q.read.__enter__', 'q.read.__exit__']);
    expect(s.log).toEqual(['enter', 'exit-error']);
  });

  it('the publisher result (a refused event) never changes the traced call', () => {
    const fn = tracedFunction((a: number) => a + 1, { qualname: 'f', params: ['a'] }, { gate: { enabled: true }, publish: () => false });
    expect(fn(1)).toBe(2);
  });
});
