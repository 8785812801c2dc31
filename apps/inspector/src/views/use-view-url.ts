import { shortMethodName } from '@kvtrace/trace';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { AnalysisSnapshot, AnalysisState } from '../model/analysis.ts';
import { writeLinkExtras, type LinkExtras, type LinkProblem } from '../model/link-state.ts';
import type { SessionSnapshot } from '../model/session.ts';
import { parseViewParams, writeViewParams, type ViewParams } from '../model/view-state.ts';

export interface OpenedTrace {
  /** The server's trace files open (a link can reopen them); empty for local files or a URL. */
  traces: string[];
  /** A trace opened from any address (`?url=`); null otherwise. */
  url?: string | null;
  follow: boolean;
}

/**
 * Keeps the URL in step with the view (`replaceState`, no history entries) and applies a link's
 * view once its trace is ready: filters need the method table, `sel` needs the row. What a link
 * names that this trace does not have (a method, a call) is reported in `problems`, never dropped
 * silently (issue 13: `methods=bogus` showed 0 calls and said nothing).
 */
export function useViewUrl(
  opened: OpenedTrace | null,
  session: SessionSnapshot,
  methods: readonly string[],
  analysis: AnalysisState,
  a: AnalysisSnapshot,
  extras: LinkExtras | null = null,
  /** The link that opened the page: its view, to apply once its trace is ready, and what was not understood in it. */
  initial: { pending: ViewParams | null; problems: readonly LinkProblem[] } = { pending: null, problems: [] },
): {
  pending: ViewParams | null;
  setPending(v: ViewParams | null): void;
  problems: readonly LinkProblem[];
  addProblems(p: readonly LinkProblem[]): void;
  clearProblems(): void;
} {
  const pending = useRef<ViewParams | null>(initial.pending);
  const applied = useRef(false);
  const [problems, setProblems] = useState<readonly LinkProblem[]>(initial.problems);
  /**
   * A live link's method names and the ids they resolved to. A followed trace meets its methods as
   * calls arrive, so names not seen yet must not be dropped: they are re-resolved as methods appear
   * (and kept in the URL) until the user changes the method filter or the trace stops growing.
   */
  const linkMethods = useRef<{ names: readonly string[]; ids: number[] } | null>(null);
  const loading = session.state === 'loading';
  const following = opened?.follow === true && loading;
  const ended = session.state === 'ready' || session.state === 'partial';

  // Apply a link's view: when the load is over, or (live) as soon as calls are there.
  const records = session.progress.records;
  const canApply = session.header !== null && (ended || (opened?.follow === true && records > 0));
  // Once: `applied` makes the runs that follow (a live trace's every batch) return at once.
  useEffect(() => {
    const v = pending.current;
    if (!v || !canApply || applied.current) return;
    applied.current = true;
    pending.current = null;
    let ids = v.methods === null ? null : resolveMethods(v.methods, methods);
    // Named methods of which none exists: the part is reported (below) and left out, rather than
    // hiding every call. A live trace may still meet them, so it keeps waiting for them.
    if (ids !== null && ids.length === 0 && v.methods!.length > 0 && !following) ids = null;
    linkMethods.current = ids !== null && following ? { names: v.methods!, ids } : null;
    analysis.setFilters({ methods: ids, t0: v.t0, t1: v.t1, text: v.text, keyId: v.keyId });
    if (v.selected !== null) analysis.select(v.selected);
    // A live trace may still meet the methods and the call: those are judged when it ends.
    if (!following) setProblems((p) => [...p, ...unresolved(v, methods, records)]);
  }, [canApply, analysis, methods, following, records]);

  // Runs before the URL writer below, which trusts linkMethods to be current (cleared on a user change).
  useEffect(() => {
    const l = linkMethods.current;
    if (!l) return;
    // The user chose other methods (setFilters makes a new array), or the trace is complete.
    // The live snapshot, not `a`: in the commit that applied the link, `a` predates it.
    if (analysis.getSnapshot().filters.methods !== l.ids || !following) {
      if (!following && analysis.getSnapshot().filters.methods === l.ids) {
        setProblems((p) => [...p, ...unresolved({ ...parseViewParams(''), methods: [...l.names] }, methods, records)]);
      }
      linkMethods.current = null;
      return;
    }
    const ids = resolveMethods(l.names, methods);
    if (ids.length === l.ids.length) return;
    linkMethods.current = { names: l.names, ids };
    analysis.setFilters({ methods: ids });
  }, [methods, following, a.filters.methods, analysis, records]);

  useEffect(() => {
    // Nothing open yet (the link is still to be read), or a link's view still to be applied.
    if (opened === null || (!applied.current && pending.current)) return;
    const f = a.filters;
    let next = writeViewParams(window.location.search, {
      traces: opened.traces,
      // Only while it is live: after Stop (or the recording's end) a reload opens the file as it is.
      follow: opened.follow && !ended && session.state !== 'failed',
      methods:
        f.methods === null ? null : linkMethods.current !== null ? [...linkMethods.current.names] : f.methods.map((m) => shortMethodName(methods[m] ?? '')),
      t0: f.t0,
      t1: f.t1,
      text: f.text,
      keyId: f.keyId,
      selected: a.selected,
    });
    if (extras) next = writeLinkExtras(next, { ...extras, url: opened.url ?? null });
    if (next !== window.location.search) window.history.replaceState(null, '', `${window.location.pathname}${next}${window.location.hash}`);
  }, [a.filters, a.selected, opened, methods, ended, session.state, extras]);

  // Stable across renders (callers put it in callback dependencies); only `problems` changes it.
  return useMemo(
    () => ({
      get pending() {
        return pending.current;
      },
      setPending(v: ViewParams | null) {
        pending.current = v;
        applied.current = v === null;
      },
      problems,
      addProblems(p: readonly LinkProblem[]) {
        if (p.length > 0) setProblems((q) => [...q, ...p]);
      },
      clearProblems() {
        setProblems((q) => (q.length === 0 ? q : []));
      },
    }),
    [problems],
  );
}

/** The ids of the methods a link names (short names), in method-table order. */
function resolveMethods(names: readonly string[], methods: readonly string[]): number[] {
  return methods.map((q, i) => (names.includes(shortMethodName(q)) ? i : -1)).filter((i) => i >= 0);
}

/** What a link names that the loaded trace does not have. */
function unresolved(v: ViewParams, methods: readonly string[], records: number): LinkProblem[] {
  const out: LinkProblem[] = [];
  const shorts = methods.map(shortMethodName);
  const missing = (v.methods ?? []).filter((n) => !shorts.includes(n));
  if (missing.length > 0) {
    out.push({
      param: `methods=${v.methods!.join(',')}`,
      reason: `this trace has no method ${missing.map((m) => `"${m}"`).join(', ')} (it has: ${shorts.join(', ') || 'none'})`,
    });
  }
  if (v.selected !== null && v.selected >= records) out.push({ param: `sel=${v.selected}`, reason: `this trace has ${records.toLocaleString('en-US')} calls` });
  return out;
}
