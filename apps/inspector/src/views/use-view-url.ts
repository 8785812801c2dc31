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

  // Apply a link's view: when the load is over, or (live) as soon as calls are there.
  const canApply = session.header !== null && (session.state === 'ready' || session.state === 'partial' || (opened?.follow === true && session.progress.records > 0));
  useEffect(() => {
    const v = pending.current;
    if (!v || !canApply || applied.current) return;
    applied.current = true;
    pending.current = null;
    const ids = v.methods === null ? null : methods.map((q, i) => (v.methods!.includes(shortMethodName(q)) ? i : -1)).filter((i) => i >= 0);
    analysis.setFilters({ methods: ids, t0: v.t0, t1: v.t1, text: v.text, keyId: v.keyId });
    if (v.selected !== null) analysis.select(v.selected);
  }, [canApply, analysis, methods]);

  useEffect(() => {
    // Nothing open yet (the link is still to be read), or a link's view still to be applied.
    if (opened === null || (!applied.current && pending.current)) return;
    const f = a.filters;
    const next = writeViewParams(window.location.search, {
      trace: opened?.server ?? null,
      follow: opened?.follow ?? false,
      methods: f.methods === null ? null : f.methods.map((m) => shortMethodName(methods[m] ?? '')),
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

export const initialViewParams = (): ViewParams => parseViewParams(window.location.search);
