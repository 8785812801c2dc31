/** Test helpers: keys and scripted storage-manager calls (not exported by the package). */
import { SM_METHODS, smQualname } from '../format/spec.ts';
import { MemoryLayoutDesc, ObjectKey, PrefetchRequestSpec } from '../model.ts';
import { TraceAnalyzer } from './analyzer.ts';

export const LAYOUT = new MemoryLayoutDesc([[2, 16, 8]], ['torch.bfloat16']);

/** A key whose hash starts with n (big-endian u32) then a fixed pattern, so prefixes are predictable. */
export function key(n: number, model = 'org/Model-A', salt = ''): ObjectKey {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, n >>> 0);
  for (let i = 4; i < 32; i++) h[i] = (i * 37 + n) & 0xff;
  return new ObjectKey(h, model, 0x01000100, 0, salt);
}

/** Feeds calls to a TraceAnalyzer at increasing times (1 ms apart unless given). */
export class Script {
  readonly a = new TraceAnalyzer();
  t = 0;
  private rec = 0;

  call(method: string, args: Record<string, unknown>, dt = 0.001): number {
    this.t += dt;
    const m = this.a.index.methods.intern(smQualname(method));
    return this.a.add(this.rec++, m, this.t, args);
  }
  reserve(keys: ObjectKey[]) {
    return this.call(SM_METHODS.reserveWrite, { keys, layout_desc: LAYOUT, mode: 'new' });
  }
  finishWrite(keys: ObjectKey[]) {
    return this.call(SM_METHODS.finishWrite, { keys });
  }
  prefetch(keys: ObjectKey[], erid = '') {
    return this.call(SM_METHODS.submitPrefetchTask, { keys, layout_desc: LAYOUT, extra_count: 0, external_request_id: erid, skip_l2: false });
  }
  prefetchSpec(keys: ObjectKey[], erid = '') {
    return this.call(SM_METHODS.submitPrefetchTask, { spec: new PrefetchRequestSpec(keys, LAYOUT), external_request_id: erid, skip_l2: false });
  }
  enter(keys: ObjectKey[]) {
    return this.call(SM_METHODS.readPrefetchedEnter, { keys });
  }
  exit(keys: ObjectKey[]) {
    return this.call(SM_METHODS.readPrefetchedExit, { keys });
  }
  release(keys: ObjectKey[]) {
    return this.call(SM_METHODS.finishReadPrefetched, { keys, extra_count: 0 });
  }
  id(k: ObjectKey): number {
    return this.a.index.keyIdOf(k);
  }
}
