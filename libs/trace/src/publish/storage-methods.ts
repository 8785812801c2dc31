import { SM_METHODS, SM_PARAMS, smQualname } from '../format/spec.ts';
import { AttnWindowDesc, PrefetchMode, TrimPolicy } from '../model.ts';
import type { MethodSpec } from './traced.ts';

/**
 * The traced storage-manager API as wrapper specs: LMCache's qualnames and parameter names (from
 * format/spec.ts) with the defaults its signatures declare, which the wrapper fills in so a record
 * holds every parameter. Servers, generators and tests trace through these, never their own lists.
 */
export const STORAGE_METHOD_SPECS = {
  reserveWrite: { qualname: smQualname(SM_METHODS.reserveWrite), params: SM_PARAMS.reserve_write },
  finishWrite: { qualname: smQualname(SM_METHODS.finishWrite), params: SM_PARAMS.finish_write },
  submitPrefetchTask: {
    qualname: smQualname(SM_METHODS.submitPrefetchTask),
    params: withDefaults(SM_PARAMS.submit_prefetch_task, {
      extra_count: 0,
      external_request_id: '',
      policy: TrimPolicy.PREFIX,
      attn_desc: new AttnWindowDesc([-1]),
      skip_l2: false,
      mode: PrefetchMode.LOOKUP,
    }),
  },
  readPrefetchedResults: { qualname: smQualname(SM_METHODS.readPrefetched), params: SM_PARAMS.read_prefetched_results, scoped: true },
  finishReadPrefetched: { qualname: smQualname(SM_METHODS.finishReadPrefetched), params: withDefaults(SM_PARAMS.finish_read_prefetched, { extra_count: 0 }) },
} as const satisfies Record<string, MethodSpec>;

function withDefaults(names: readonly string[], defaults: Readonly<Record<string, unknown>>): MethodSpec['params'] {
  return Object.freeze(names.map((name) => (Object.hasOwn(defaults, name) ? { name, default: defaults[name] } : name)));
}
