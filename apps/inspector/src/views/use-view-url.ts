import { shortMethodName } from '@kvtrace/trace';
import { useEffect, useRef } from 'react';
import type { AnalysisSnapshot, AnalysisState } from '../model/analysis.ts';
import type { SessionSnapshot } from '../model/session.ts';
import { parseViewParams, writeViewParams, type ViewParams } from '../model/view-state.ts';

export interface OpenedTrace {
  /** A server trace's name (a link can reopen it); null for a local file. */
  server: string | null;
  follow: boolean;
}

/**
 * Keeps the URL in step with the view (`replaceState`, no history entries) and applies a link's
 * view once its trace is ready: filters need the method table, `sel` needs the row.
 */
export function useViewUrl(opened: OpenedTrace | null, session: SessionSnapshot, methods: readonly string[], analysis: AnalysisState, a: AnalysisSnapshot): {
  pending: ViewParams | null;
  setPending(v: ViewParams | null): void;
} {
  const pending = useRef<ViewParams | null>(null);
  const applied = useRef(false);
  /**
   * A live link's method names and the ids they resolved to. A followed trace meets its methods as
   * calls arrive, so names not seen yet must not be dropped: they are re-resolved as methods appear
   * (and kept in the URL) until the user changes the method filter or the trace stops growing.
   */
  const linkMethods = useRef<{ names: readonly string[]; ids: number[] } | null>(null);
  const following = opened?.follow === true && session.state === 'loading';

  // Apply a link's view: when the load is over, or (live) as soon as calls are there.
  const canApply = session.header !== null && (session.state === 'ready' || session.state === 'partial' || (opened?.follow === true && session.progress.records > 0));
  useEffect(() => {
    const v = pending.current;
    if (!v || !canApply || applied.current) return;
    applied.current = true;
    pending.current = null;
    const ids = v.methods === null ? null : resolveMethods(v.methods, methods);
    linkMethods.current = ids !== null && following ? { names: v.methods!, ids } : null;
    analysis.setFilters({ methods: ids, t0: v.t0, t1: v.t1, text: v.text, keyId: v.keyId });
    if (v.selected !== null) analysis.select(v.selected);
  }, [canApply, analysis, methods]);

  // Runs before the URL writer below, which trusts linkMethods to be current (cleared on a user change).
  useEffect(() => {
    const l = linkMethods.current;
    if (!l) return;
    // The user chose other methods (setFilters makes a new array), or the trace is complete.
    // The live snapshot, not `a`: in the commit that applied the link, `a` predates it.
    if (analysis.getSnapshot().filters.methods !== l.ids || !following) {
      linkMethods.current = null;
      return;
    }
    const ids = resolveMethods(l.names, methods);
    if (ids.length === l.ids.length) return;
    linkMethods.current = { names: l.names, ids };
    analysis.setFilters({ methods: ids });
  }, [methods, following, a.filters.methods, analysis]);

  useEffect(() => {
    // Nothing open yet (the link is still to be read), or a link's view still to be applied.
    if (opened === null || (!applied.current && pending.current)) return;
    const f = a.filters;
    const next = writeViewParams(window.location.search, {
      trace: opened?.server ?? null,
      follow: opened?.follow ?? false,
      methods:
        f.methods === null ? null : linkMethods.current !== null ? [...linkMethods.current.names] : f.methods.map((m) => shortMethodName(methods[m] ?? '')),
      t0: f.t0,
      t1: f.t1,
      text: f.text,
      keyId: f.keyId,
      selected: a.selected,
    });
    if (next !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${next}${window.location.hash}`);
  }, [a.filters, a.selected, opened, methods]);

  return {
    get pending() {
      return pending.current;
    },
    setPending(v) {
      pending.current = v;
      applied.current = v === null;
    },
  };
}

/** The ids of the methods a link names (short names), in method-table order. */
function resolveMethods(names: readonly string[], methods: readonly string[]): number[] {
  return methods.map((q, i) => (names.includes(shortMethodName(q)) ? i : -1)).filter((i) => i >= 0);
}

export const initialViewParams = (): ViewParams => parseViewParams(window.location.search);
