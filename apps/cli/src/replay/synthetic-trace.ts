import {
  AttnWindowDesc,
  MemoryLayoutDesc,
  MsgpackWriter,
  ObjectKey,
  PrefetchMode,
  RecordFrameEncoder,
  SM_METHODS,
  TrimPolicy,
  createDefaultRegistry,
  encodeHeaderFrame,
  smQualname,
  type HeaderFields,
} from '@kvtrace/trace';

/** One call to write into a trace: `t` is seconds since the trace start. */
export interface TraceCall {
  qualname: string;
  t: number;
  names: readonly string[];
  args: readonly unknown[];
}

const N = {
  reserve: Object.freeze(['keys', 'layout_desc', 'mode']),
  keys: Object.freeze(['keys']),
  prefetch: Object.freeze(['keys', 'layout_desc', 'extra_count', 'external_request_id', 'policy', 'attn_desc', 'skip_l2', 'mode']),
  release: Object.freeze(['keys', 'extra_count']),
};
const Q = {
  reserve: smQualname(SM_METHODS.reserveWrite),
  finish: smQualname(SM_METHODS.finishWrite),
  prefetch: smQualname(SM_METHODS.submitPrefetchTask),
  enter: smQualname(SM_METHODS.readPrefetchedEnter),
  exit: smQualname(SM_METHODS.readPrefetchedExit),
  release: smQualname(SM_METHODS.finishReadPrefetched),
};

export const call = {
  reserveWrite: (t: number, keys: readonly ObjectKey[], layout: MemoryLayoutDesc, mode = 'new'): TraceCall => ({ qualname: Q.reserve, t, names: N.reserve, args: [keys, layout, mode] }),
  finishWrite: (t: number, keys: readonly ObjectKey[]): TraceCall => ({ qualname: Q.finish, t, names: N.keys, args: [keys] }),
  prefetch: (t: number, keys: readonly ObjectKey[], layout: MemoryLayoutDesc, id = ''): TraceCall => ({
    qualname: Q.prefetch,
    t,
    names: N.prefetch,
    args: [keys, layout, 0, id, TrimPolicy.PREFIX, new AttnWindowDesc([-1]), false, PrefetchMode.LOOKUP],
  }),
  enter: (t: number, keys: readonly ObjectKey[]): TraceCall => ({ qualname: Q.enter, t, names: N.keys, args: [keys] }),
  exit: (t: number, keys: readonly ObjectKey[]): TraceCall => ({ qualname: Q.exit, t, names: N.keys, args: [keys] }),
  release: (t: number, keys: readonly ObjectKey[], extra = 0): TraceCall => ({ qualname: Q.release, t, names: N.release, args: [keys, extra] }),
};

/** A whole `.lct` file in memory (header + records), written with libs/trace's encoder. */
export function encodeTrace(calls: readonly TraceCall[], header: Partial<HeaderFields> = {}): Uint8Array {
  const registry = createDefaultRegistry();
  const head = encodeHeaderFrame({ level: 'storage', t_mono_start: 1000, t_wall_start: 1.7e9, sm_config_json: '', sm_config_digest: '', ...header }, registry);
  const enc = new RecordFrameEncoder(registry);
  const w = new MsgpackWriter(1 << 20);
  for (const c of calls) enc.append(w, c.t, 1.7e9 + c.t, c.qualname, c.names, c.args);
  const body = w.bytes();
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

export function key(i: number, model = 'test/model'): ObjectKey {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, i);
  return new ObjectKey(h, model, 0x01000100, 0, '');
}

/**
 * A serving-shaped workload: each request looks up a run of chunks (prefetch, read scope, release),
 * then writes them (reserve_write "new", finish_write): a repeated prefix hits, a new one is written.
 * Keys come from a pool, so a smaller L1 evicts and a bigger one hits more.
 */
export function workloadCalls(o: { requests: number; keysPerRequest?: number; pool?: number; layout?: MemoryLayoutDesc; gapS?: number; seed?: number }): TraceCall[] {
  const per = o.keysPerRequest ?? 8;
  const pool = Array.from({ length: o.pool ?? 256 }, (_, i) => key(i));
  const layout = o.layout ?? new MemoryLayoutDesc([[2, 4, 16, 8, 128]], ['torch.bfloat16']);
  const gap = o.gapS ?? 0.0001;
  let seed = o.seed ?? 1;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const out: TraceCall[] = [];
  let t = 0;
  for (let r = 0; r < o.requests; r++) {
    // Skewed toward the start of the pool: popular prefixes.
    const start = Math.floor(rand() ** 2 * (pool.length - per));
    const keys = pool.slice(start, start + per);
    out.push(call.prefetch((t += gap), keys, layout, `req-${r}`), call.enter((t += gap), keys), call.exit((t += gap), keys), call.release((t += gap), keys));
    out.push(call.reserveWrite((t += gap), keys, layout), call.finishWrite((t += gap), keys));
  }
  return out;
}
