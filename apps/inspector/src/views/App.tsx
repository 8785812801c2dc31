import { useCallback, useEffect, useRef, useState } from 'react';
import type { Inspector } from '../inspector.ts';
import { ArgumentView } from './ArgumentView.tsx';
import { CallTable } from './CallTable.tsx';
import { DamageReport } from './DamageReport.tsx';
import { EmptyState } from './EmptyState.tsx';
import { ErrorBoundary } from './ErrorBoundary.tsx';
import { FailedPage } from './FailedPage.tsx';
import { HeaderPanel } from './HeaderPanel.tsx';
import { LoadProgressBar } from './LoadProgressBar.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';
import { TraceMenu } from './TraceMenu.tsx';
import { useExternal } from './use-external.ts';

function setTraceParam(name: string | null): void {
  const url = new URL(window.location.href);
  if (name === null) url.searchParams.delete('trace');
  else url.searchParams.set('trace', name);
  window.history.replaceState(null, '', url);
}

export function App({ inspector }: { inspector: Inspector }) {
  const snap = useExternal(inspector.session);
  const [selected, setSelected] = useState<number | null>(null);
  const [dragging, setDragging] = useState(false);
  const [renderFailedLoad, setRenderFailedLoad] = useState<number | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const openFile = useCallback(
    (file: File) => {
      setTraceParam(null);
      inspector.openFile(file);
    },
    [inspector],
  );
  const openServer = useCallback(
    (name: string) => {
      setTraceParam(name);
      inspector.openServerTrace(name);
    },
    [inspector],
  );

  useEffect(() => setSelected(null), [snap.loadId]);

  useEffect(() => {
    const name = new URLSearchParams(window.location.search).get('trace');
    if (name) inspector.openServerTrace(name);
    return () => inspector.loader.dispose();
  }, [inspector]);

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
  const store = inspector.session.store;
  const showTable = snap.header !== null && snap.state !== 'failed';

  return (
    <div className="app" data-state={renderFailedLoad === snap.loadId ? 'failed' : snap.state} data-records={store.length} data-load-id={snap.loadId}>
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
        <div className="topbar-actions">
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
      {snap.state === 'loading' && <LoadProgressBar snap={snap} onCancel={() => inspector.loader.cancel()} />}
      <ErrorBoundary resetKey={snap.loadId} onError={() => setRenderFailedLoad(snap.loadId)}>
        {snap.state === 'empty' && <EmptyState onChoose={chooseFile} onOpen={openServer} />}
        {snap.state === 'failed' && snap.error && <FailedPage name={snap.name} error={snap.error} onChoose={chooseFile} />}
        {snap.state === 'loading' && !snap.header && <div className="waiting">Reading header…</div>}
        {showTable && snap.header && (
          <>
            <DamageReport snap={snap} />
            <main className="workspace">
              <section className="table-pane" aria-label="Calls">
                <CallTable
                  key={snap.loadId}
                  store={store}
                  count={store.length}
                  version={snap.version}
                  args={inspector.args}
                  selected={selected}
                  onSelect={setSelected}
                  emptyText={snap.state === 'loading' ? 'Waiting for the first records…' : 'This trace has a header and no calls.'}
                />
              </section>
              <aside className="side-pane">
                <ArgumentView inspector={inspector} index={selected} />
                <HeaderPanel header={snap.header} name={snap.name} totalBytes={snap.totalBytes} />
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
