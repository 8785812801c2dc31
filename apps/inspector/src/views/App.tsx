import type { ObjectKey } from '@kvtrace/trace';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Inspector } from '../inspector.ts';
import type { Filters } from '../model/view-state.ts';
import { ArgumentView } from './ArgumentView.tsx';
import { CallTable, positionOf } from './CallTable.tsx';
import { ComparePanel } from './ComparePanel.tsx';
import { ExportMenu } from './ExportMenu.tsx';
import { FilterBar } from './FilterBar.tsx';
import { KeyPanel } from './KeyPanel.tsx';
import { LifecyclePanel } from './LifecyclePanel.tsx';
import { StatsPanel } from './StatsPanel.tsx';
import { Timeline } from './Timeline.tsx';
import { DamageReport } from './DamageReport.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { FailedPage } from './FailedPage.tsx';
import { HeaderPanel } from './HeaderPanel.tsx';
import { LoadProgressBar } from './LoadProgressBar.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';
import { TraceMenu } from './TraceMenu.tsx';
import { useExternal } from './use-external.ts';
import { initialViewParams, useViewUrl, type OpenedTrace } from './use-view-url.ts';

type Tab = 'call' | 'key' | 'lifecycles' | 'stats' | 'compare';
const TABS: { id: Tab; label: string }[] = [
  { id: 'call', label: 'Call' },
  { id: 'key', label: 'Key' },
  { id: 'lifecycles', label: 'Lifecycles' },
  { id: 'stats', label: 'Stats' },
  { id: 'compare', label: 'Compare' },
];

const flagTotal = (c: Record<string, number>): number => Object.values(c).reduce((n, v) => n + v, 0);

export function App({ inspector }: { inspector: Inspector }) {
  const snap = useExternal(inspector.session);
  const a = useExternal(inspector.analysis);
  const analysis = inspector.analysis;
  const selected = a.selected;
  const [dragging, setDragging] = useState(false);
  const [renderFailedLoad, setRenderFailedLoad] = useState<number | null>(null);
  const [opened, setOpened] = useState<OpenedTrace | null>(null);
  const [tab, setTab] = useState<Tab>('call');
  const fileInput = useRef<HTMLInputElement>(null);
  const store = inspector.session.store;
  const methods = useMemo(() => [...store.methods], [store, store.methods.length]);
  const url = useViewUrl(opened, snap, methods, analysis, a);

  const openFile = useCallback(
    (file: File) => {
      url.setPending(null);
      setOpened({ server: null, follow: false });
      inspector.openFile(file);
    },
    [inspector, url],
  );
  const openServer = useCallback(
    (name: string, follow = false) => {
      url.setPending(null);
      setOpened({ server: name, follow });
      inspector.openServerTrace(name, follow);
    },
    [inspector, url],
  );

  const [link] = useState(initialViewParams);
  useEffect(() => {
    const v = link;
    if (v.trace) {
      setOpened({ server: v.trace, follow: v.follow });
      inspector.openServerTrace(v.trace, v.follow);
      url.setPending(v);
    }
    return () => {
      inspector.loader.dispose();
      inspector.compare.loader.dispose();
    };
  }, [inspector]); // Once: the link that opened the page.

  const onSelect = useCallback((call: number) => analysis.select(call), [analysis]);
  /** Jump to a call from a panel: if the filter hides it, the filter goes, the call matters more. */
  const jump = useCallback(
    (call: number) => {
      const cur = analysis.getSnapshot();
      if (positionOf(cur.rows, store.length, call) < 0) analysis.clearFilters();
      analysis.select(call);
    },
    [analysis, store],
  );
  const followKey = useCallback(
    (k: ObjectKey) => {
      setTab('key');
      void analysis.followKey({ chunkHash: k.chunkHash, modelName: k.modelName, kvRank: k.kvRank, objectGroupId: k.objectGroupId, cacheSalt: k.cacheSalt });
    },
    [analysis],
  );
  const filter = useCallback((patch: Partial<Filters>) => analysis.setFilters(patch), [analysis]);
  const hiddenMethods = useMemo(() => new Set(a.filters.methods === null ? [] : methods.map((_, i) => i).filter((i) => !a.filters.methods!.includes(i))), [a.filters.methods, methods]);
  const live = opened?.follow === true && snap.state === 'loading';

  // Drop anywhere on the page; a depth counter because dragleave fires for every child crossed.
  useEffect(() => {
    let depth = 0;
    const hasFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth++;
      setDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const over = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      setDragging(false);
      const file = e.dataTransfer?.files[0];
      if (file) openFile(file);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragleave', leave);
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, [openFile]);

  const chooseFile = () => fileInput.current?.click();
  const rowCount = a.rows === null ? store.length : a.rows.length;
  const showTable = snap.header !== null && snap.state !== 'failed';

  return (
    <div className="app" data-state={renderFailedLoad === snap.loadId ? 'failed' : snap.state} data-records={store.length} data-load-id={snap.loadId} data-indexed={a.index?.done === true} data-rows={rowCount}>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          kvtrace <span className="brand-sub">inspector</span>
        </div>
        {snap.name && (
          <div className="file-name" title={snap.name}>
            {snap.name}
          </div>
        )}
        {live && (
          <>
            <span className="badge badge-live" data-testid="live-badge" title="Following a trace the server is still recording">
              ● live · {snap.progress.records.toLocaleString('en-US')} calls
            </span>
            <button type="button" className="btn btn-small" onClick={() => inspector.loader.cancel()} title="Stop following; the calls read so far stay">
              Stop
            </button>
          </>
        )}
        <div className="topbar-actions">
          {showTable && <ExportMenu analysis={analysis} name={snap.name} ready={a.index?.done === true || live} />}
          <button type="button" className="btn" onClick={chooseFile}>
            Open file…
          </button>
          <TraceMenu onOpen={openServer} />
          <ThemeToggle />
        </div>
        <input
          ref={fileInput}
          type="file"
          accept=".lct,application/octet-stream"
          data-testid="file-input"
          hidden
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) openFile(f);
            e.currentTarget.value = '';
          }}
        />
      </header>
      {snap.state === 'loading' && !live && <LoadProgressBar snap={snap} onCancel={() => inspector.loader.cancel()} />}
      <ErrorBoundary resetKey={snap.loadId} onError={() => setRenderFailedLoad(snap.loadId)}>
        {snap.state === 'empty' && <EmptyState onChoose={chooseFile} onOpen={openServer} />}
        {snap.state === 'failed' && snap.error && <FailedPage name={snap.name} error={snap.error} onChoose={chooseFile} />}
        {snap.state === 'loading' && !snap.header && <div className="waiting">Reading header…</div>}
        {showTable && snap.header && (
          <>
            <DamageReport snap={snap} />
            <FilterBar methods={methods} analysis={a} total={store.length} onChange={filter} onClear={() => analysis.clearFilters()} />
            <main className="workspace">
              <section className="table-pane" aria-label="Calls">
                {store.length > 0 && (
                  <Timeline
                    store={store}
                    count={store.length}
                    version={snap.version}
                    rows={a.rows}
                    hiddenMethods={hiddenMethods}
                    window={a.filters.t0 !== null && a.filters.t1 !== null ? { t0: a.filters.t0, t1: a.filters.t1 } : null}
                    selected={selected}
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
                  selected={selected}
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
              <aside className="side-pane">
                <div className="tabs" role="tablist" aria-label="Panels">
                  {TABS.map((t) => (
                    <button key={t.id} type="button" role="tab" id={`tab-${t.id}`} aria-selected={tab === t.id} aria-controls={`panel-${t.id}`} className="tab" onClick={() => setTab(t.id)}>
                      {t.label}
                      {t.id === 'lifecycles' && a.lifecycles && flagTotal(a.lifecycles.summary.flagCounts) > 0 && <span className="tab-dot" aria-hidden="true" title="flags raised" />}
                    </button>
                  ))}
                </div>
                <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
                  {tab === 'call' && (
                    <>
                      <ArgumentView inspector={inspector} index={selected} onFollowKey={followKey} />
                      <HeaderPanel header={snap.header} name={snap.name} totalBytes={snap.totalBytes} />
                    </>
                  )}
                  {tab === 'key' && (
                    <section className="panel" aria-label="Key">
                      <h2 className="panel-title">Followed key</h2>
                      <KeyPanel analysis={analysis} store={store} onJump={jump} />
                    </section>
                  )}
                  {tab === 'lifecycles' && (
                    <section className="panel" aria-label="Key lifecycles">
                      <h2 className="panel-title">Key lifecycles</h2>
                      <LifecyclePanel analysis={analysis} store={store} onJump={jump} />
                    </section>
                  )}
                  {tab === 'stats' && (
                    <section className="panel" aria-label="Statistics">
                      <h2 className="panel-title">Statistics</h2>
                      <StatsPanel analysis={analysis} onFilter={filter} />
                    </section>
                  )}
                  {tab === 'compare' && <ComparePanel inspector={inspector} />}
                </div>
              </aside>
            </main>
          </>
        )}
      </ErrorBoundary>
      {dragging && (
        <div className="drop-overlay" aria-hidden="true">
          <div className="drop-overlay-box">Drop the trace to open it</div>
        </div>
      )}
    </div>
  );
}
