import {
  asKeyList,
  AttnWindowDesc,
  canonicalDtype,
  EnumMember,
  MemoryLayoutDesc,
  PrefetchMode,
  PrefetchRequestSpec,
  SM_METHODS,
  TrimPolicy,
  smQualname,
  type ObjectKey,
  type PrefetchModeName,
  type TrimPolicyName,
} from '@kvtrace/trace';
import type { PrefetchCall, WriteMode } from './target.ts';

export type ReplayCall =
  | { op: 'reserve_write'; keys: readonly ObjectKey[]; layout: MemoryLayoutDesc; mode: WriteMode }
  | { op: 'finish_write'; keys: readonly ObjectKey[] }
  | { op: 'submit_prefetch_task'; call: PrefetchCall }
  | { op: 'read_prefetched_results.__enter__'; keys: readonly ObjectKey[] }
  | { op: 'read_prefetched_results.__exit__'; keys: readonly ObjectKey[] }
  | { op: 'finish_read_prefetched'; keys: readonly ObjectKey[]; extraCount: number };

/** A record that cannot be replayed, and why (counted as skipped). */
export class SkipRecord extends Error {
  constructor(
    readonly reason: string,
    readonly detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'SkipRecord';
  }
}

const fail = (why: string): never => {
  throw new SkipRecord('arguments do not fit the method', why);
};

function keysArg(v: unknown, name = 'keys'): readonly ObjectKey[] {
  const keys = asKeyList(v);
  return keys === null ? fail(`${name} is not a list of ObjectKey`) : keys;
}
/** LMCache's default attention window (full attention), shared: AttnWindowDesc is frozen. */
const DEFAULT_ATTN = new AttnWindowDesc([-1]);
/**
 * A trace is untrusted input: a layout whose size is not a non-negative safe integer (a negative
 * dimension, a NaN, an overflowing product) would make the target evict everything or count
 * negative bytes, so such a record is skipped with its reason instead of replayed.
 */
function layoutArg(v: unknown, name = 'layout_desc'): MemoryLayoutDesc {
  if (!(v instanceof MemoryLayoutDesc)) return fail(`${name} is not a MemoryLayoutDesc`);
  const size = v.byteSize;
  if (!Number.isSafeInteger(size) || size < 0) return fail(`${name} describes an object of ${size} bytes, not a non-negative integer size`);
  // Older recorders wrote aliases (torch.half); LMCache and our storage manager take only the
  // canonical names (torch.float16), which mean the same type: replay with those.
  const canonical = v.dtypes.map((d) => canonicalDtype(d) ?? d);
  return canonical.some((d, i) => d !== v.dtypes[i]) ? new MemoryLayoutDesc(v.shapes, canonical) : v;
}
function intArg(v: unknown, name: string, dflt: number): number {
  if (v === undefined || v === null) return dflt;
  return typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'bigint' ? Number(v) : fail(`${name} is not an int`);
}
function enumArg<N extends string>(v: unknown, enumName: string, members: Record<string, EnumMember<N>>, dflt: EnumMember<N>): EnumMember<N> {
  if (v === undefined || v === null) return dflt;
  // Own members only: a recorded name like "constructor" must not find Object.prototype's.
  if (v instanceof EnumMember && v.enumName === enumName && Object.hasOwn(members, v.name)) return members[v.name]!;
  return fail(`${enumName.replace(/[A-Z]/g, (c, i: number) => (i ? '_' : '') + c.toLowerCase())} is not a ${enumName}`);
}

/** The recorded qualnames replay knows, each with how its arguments become a call. */
const DECODERS: Record<string, (a: Record<string, unknown>) => ReplayCall> = {
  [smQualname(SM_METHODS.reserveWrite)]: (a) => {
    const mode = a.mode;
    if (mode !== 'new' && mode !== 'update' && mode !== 'all') fail('mode is not "new", "update" or "all"');
    return { op: 'reserve_write', keys: keysArg(a.keys), layout: layoutArg(a.layout_desc), mode: mode as WriteMode };
  },
  [smQualname(SM_METHODS.finishWrite)]: (a) => ({ op: 'finish_write', keys: keysArg(a.keys) }),
  [smQualname(SM_METHODS.submitPrefetchTask)]: (a) => ({ op: 'submit_prefetch_task', call: prefetchCall(a) }),
  [smQualname(SM_METHODS.readPrefetchedEnter)]: (a) => ({ op: 'read_prefetched_results.__enter__', keys: keysArg(a.keys) }),
  [smQualname(SM_METHODS.readPrefetchedExit)]: (a) => ({ op: 'read_prefetched_results.__exit__', keys: keysArg(a.keys) }),
  [smQualname(SM_METHODS.finishReadPrefetched)]: (a) => ({ op: 'finish_read_prefetched', keys: keysArg(a.keys), extraCount: intArg(a.extra_count, 'extra_count', 0) }),
};

/** submit_prefetch_task was recorded positionally (LMCache's first shape) or as one `spec` plus the rest. */
function prefetchCall(a: Record<string, unknown>): PrefetchCall {
  const externalRequestId = typeof a.external_request_id === 'string' ? a.external_request_id : '';
  const skipL2 = a.skip_l2 === true;
  // One object literal per shape (no spreads): this runs once per prefetch record.
  if (a.spec !== undefined) {
    const s = a.spec instanceof PrefetchRequestSpec ? a.spec : fail('spec is not a PrefetchRequestSpec');
    return { keys: s.keys, layoutDesc: layoutArg(s.layoutDesc, 'spec.layout_desc'), extraCount: s.extraCount, externalRequestId, policy: s.policy, attnDesc: s.attnDesc, skipL2, mode: s.mode };
  }
  const attn = a.attn_desc;
  return {
    keys: keysArg(a.keys),
    layoutDesc: layoutArg(a.layout_desc),
    extraCount: intArg(a.extra_count, 'extra_count', 0),
    externalRequestId,
    policy: enumArg<TrimPolicyName>(a.policy, 'TrimPolicy', TrimPolicy, TrimPolicy.PREFIX),
    attnDesc: attn === undefined || attn === null ? DEFAULT_ATTN : attn instanceof AttnWindowDesc ? attn : fail('attn_desc is not an AttnWindowDesc'),
    skipL2,
    mode: enumArg<PrefetchModeName>(a.mode, 'PrefetchMode', PrefetchMode, PrefetchMode.LOOKUP),
  };
}

/** Turns a record into a call; throws SkipRecord for an unknown method or arguments that do not fit. */
export function decodeCall(qualname: string, args: () => Record<string, unknown>): ReplayCall {
  // Own keys only: the qualname comes from the trace, and "constructor" must not find Object.prototype's.
  const decoder = Object.hasOwn(DECODERS, qualname) ? DECODERS[qualname] : undefined;
  if (!decoder) throw new SkipRecord('unknown method');
  let a: Record<string, unknown>;
  try {
    a = args();
  } catch (e) {
    throw new SkipRecord('arguments cannot be decoded', (e as Error).message);
  }
  return decoder(a);
}
