import type { ObjectKey } from '@kvtrace/trace';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Inspector } from '../inspector.ts';
import type { ServerFile } from '../model/trace-set.ts';
import { Bookmarks } from '../model/bookmarks.ts';
import { nameOfUrl, parseLinkExtras, viewParamProblems, type CompareSource, type LinkExtras } from '../model/link-state.ts';
import { setOrder } from '../model/trace-set.ts';
import { parseViewParams, type Filters } from '../model/view-state.ts';
import { CallTable, positionOf } from './CallTable.tsx';
import { DamageReport } from './DamageReport.tsx';
import { DropZone } from './DropZone.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { FailedPage } from './FailedPage.tsx';
import { FilterBar } from './FilterBar.tsx';
import { KeyboardHelp } from './KeyboardHelp.tsx';
import { LinkProblems } from './LinkProblems.tsx';
import { LoadProgressBar } from './LoadProgressBar.tsx';
import { SideTabs, TAB_IDS, type Tab } from './SideTabs.tsx';
import { Timeline } from './timeline/Timeline.tsx';
import { TopBar } from './TopBar.tsx';
import { useExternal } from './use-external.ts';
import { useShortcuts } from './use-shortcuts.ts';
import { useViewUrl, type OpenedTrace } from './use-view-url.ts';

/** The link that opened the page, read once: the view, the extra parts, and what was not understood. */
function readLink() {
  const search = window.location.search;
  const { extras, problems } = parseLinkExtras(search, TAB_IDS);
  return { view: parseViewParams(search), extras, problems: [...viewParamProblems(search), ...problems] };
}

/** The trace a link opens: the server's files (`trace=`), or any address (`url=`); null for none. */
function openedByLink({ view, extras }: ReturnType<typeof readLink>): OpenedTrace | null {
  if (view.traces.length > 0) return { traces: view.traces, url: null, follow: view.follow };
  if (extras.url) return { traces: [], url: extras.url, follow: view.follow };
  return null;
}

/**
 * The page: which trace is open (file, server, URL, a link), the layout, and the state the URL
 * carries (tab, compared trace, bookmarks). Sets `data-state` / `data-records` on the root for tests.
 */
export function App({ inspector }: { inspector: Inspector }) {
  const [link] = useState(readLink);
  const snap = useExternal(inspector.session);
  const a = useExternal(inspector.analysis);
  const analysis = inspector.analysis;
  const store = inspector.session.store;
  // What the link opens is state from the first render: nothing is synced into it by an effect.
  const [opened, setOpened] = useState<OpenedTrace | null>(() => openedByLink(link));
  const [bookmarks] = useState(() => new Bookmarks(opened ? link.extras.marks : []));
  const marks = useExternal(bookmarks);
  const [renderFailedLoad, setRenderFailedLoad] = useState<number | null>(null);
  const [tab, setTab] = useState<Tab>(() => (link.extras.tab as Tab | null) ?? 'call');
  const [compare, setCompare] = useState<CompareSource | null>(link.extras.compare);
  const [help, setHelp] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);
  const queryInput = useRef<HTMLInputElement>(null);
  // The method table grows in place while loading: its length is the version of the copy.
  const methodCount = store.methods.length;
  const methods = useMemo(() => store.methods.slice(0, methodCount), [store, methodCount]);
  const extras = useMemo<LinkExtras>(() => ({ url: opened?.url ?? null, compare, tab: tab === 'call' ? null : tab, marks: [...marks] }), [opened, compare, tab, marks]);
  const url = useViewUrl(opened, snap, methods, analysis, a, extras, { pending: opened ? link.view : null, problems: link.problems });

  const openFiles = useCallback(
    (files: readonly File[]) => {
      url.setPending(null);
      url.clearProblems();
      bookmarks.replace([]);
      setOpened({ traces: [], url: null, follow: false });
      inspector.openFiles(files);
    },
    [inspector, url, bookmarks],
  );
  /** Trace files of the server, one or several (a rotated recording's segments, several servers). */
  const openServer = useCallback(
    (files: readonly ServerFile[], follow = false) => {
      url.setPending(null);
      url.clearProblems();
      bookmarks.replace([]);
      // The link lists the files as the set orders them, whatever order they were ticked in.
      setOpened({ traces: setOrder(files.map((f) => f.name)), url: null, follow });
      inspector.openServerTraces(files, follow);
    },
    [inspector, url, bookmarks],
  );

  // The link that opened the page starts its loads (the workers are the external system here).
  useEffect(() => {
    const { view, extras: x } = link;
    if (view.traces.length > 0) inspector.openServerTraces(view.traces.map((name) => ({ name })), view.follow);
    else if (x.url) inspector.loader.openUrl(x.url, nameOfUrl(x.url), view.follow);
    if (x.compare?.kind === 'server') inspector.compare.openServerTrace(x.compare.name);
    else if (x.compare) inspector.compare.loader.openUrl(x.compare.url, nameOfUrl(x.compare.url));
    return () => {
      inspector.loader.dispose();
      inspector.compare.loader.dispose();
    };
  }, [inspector, link]);

  const onSelect = useCallback((call: number) => analysis.select(call), [analysis]);
  /** Jump to a call from a panel: if the filter hides it, the filter goes, the call matters more. */
  const jump = useCallback(
    (call: number) => {
      if (positionOf(analysis.getSnapshot().rows, store.length, call) < 0) analysis.clearFilters();
      analysis.select(call);
    },
    [analysis, store],
  );
  /** A key of call `call`: with several servers open, that call's server's key. */
  const followKey = useCallback(
    (k: ObjectKey, call: number) => {
      setTab('key');
      void analysis.followKey({ chunkHash: k.chunkHash, modelName: k.modelName, kvRank: k.kvRank, objectGroupId: k.objectGroupId, cacheSalt: k.cacheSalt }, call);
    },
    [analysis],
  );
  const filter = useCallback((patch: Partial<Filters>) => analysis.setFilters(patch), [analysis]);
  const closeHelp = useCallback(() => setHelp(false), []);
  const hiddenMethods = useMemo(() => new Set(a.filters.methods === null ? [] : methods.map((_, i) => i).filter((i) => !a.filters.methods!.includes(i))), [a.filters.methods, methods]);
  const markCalls = useMemo(() => marks.map((m) => m.call), [marks]);
  const live = opened?.follow === true && snap.state === 'loading';
  const chooseFile = () => fileInput.current?.click();
  const rowCount = a.rows === null ? store.length : a.rows.length;
  const showTable = snap.header !== null && snap.state !== 'failed';

  useShortcuts({
    help: () => setHelp((h) => !h),
    focusQuery: () => queryInput.current?.focus(),
    bookmark: () => {
      if (a.selected !== null && a.selected < store.length) bookmarks.toggle(a.selected);
    },
  });

  return (
    <div className="app" data-state={renderFailedLoad === snap.loadId ? 'failed' : snap.state} data-records={store.length} data-load-id={snap.loadId} data-indexed={a.index?.done === true} data-rows={rowCount}>
      <TopBar
        snap={snap}
        live={live}
        analysis={analysis}
        showExport={showTable}
        exportReady={a.index?.done === true || live}
        onFiles={openFiles}
        onOpenServer={openServer}
        onStop={() => inspector.loader.cancel()}
        onHelp={() => setHelp(true)}
        fileInput={fileInput}
      />
      {snap.state === 'loading' && !live && <LoadProgressBar snap={snap} onCancel={() => inspector.loader.cancel()} />}
      <LinkProblems problems={url.problems} onDismiss={url.clearProblems} />
      <ErrorBoundary resetKey={snap.loadId} onError={() => setRenderFailedLoad(snap.loadId)}>
        {snap.state === 'empty' && <EmptyState onChoose={chooseFile} onOpen={openServer} />}
        {snap.state === 'failed' && snap.error && <FailedPage name={snap.name} error={snap.error} onChoose={chooseFile} />}
        {snap.state === 'loading' && !snap.header && <div className="waiting">Reading header…</div>}
        {showTable && snap.header && (
          <>
            <DamageReport snap={snap} />
            <FilterBar methods={methods} servers={store.severalServers ? store.servers : undefined} analysis={a} total={store.length} onChange={filter} onClear={() => analysis.clearFilters()} inputRef={queryInput} />
            <main className="workspace">
              <section className="table-pane" aria-label="Calls">
                {store.length > 0 && (
                  <Timeline
                    store={store}
                    methods={methods}
                    count={store.length}
                    version={snap.version}
                    growing={snap.state === 'loading'}
                    rows={a.rows}
                    hiddenMethods={hiddenMethods}
                    window={a.filters.t0 !== null && a.filters.t1 !== null ? { t0: a.filters.t0, t1: a.filters.t1 } : null}
                    selected={a.selected}
                    marks={markCalls}
                    slices={a.slices}
                    onBrush={(w) => filter(w === null ? { t0: null, t1: null } : { t0: w.t0, t1: w.t1 })}
                    onSelect={onSelect}
                  />
                )}
                <CallTable
                  key={snap.loadId}
                  store={store}
                  rows={a.rows}
                  count={rowCount}
                  version={snap.version}
                  args={inspector.args}
                  spans={analysis.callSpans}
                  selected={a.selected}
                  onSelect={onSelect}
                  emptyText={
                    a.rows !== null
                      ? a.pending
                        ? 'Filtering…'
                        : 'No call matches the filters.'
                      : snap.state === 'loading'
                        ? 'Waiting for the first records…'
                        : 'This trace has a header and no calls.'
                  }
                />
              </section>
              <SideTabs
                tab={tab}
                onTab={setTab}
                inspector={inspector}
                snap={snap}
                header={snap.header}
                a={a}
                bookmarks={bookmarks}
                onFollowKey={followKey}
                onJump={jump}
                onFilter={filter}
                onCompare={setCompare}
              />
            </main>
          </>
        )}
      </ErrorBoundary>
      <DropZone onFiles={openFiles} />
      {help && <KeyboardHelp onClose={closeHelp} />}
    </div>
  );
}
