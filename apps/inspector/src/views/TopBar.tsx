import type { RefObject } from 'react';
import type { ServerFile } from '../model/trace-set.ts';
import type { AnalysisState } from '../model/analysis.ts';
import type { SessionSnapshot } from '../model/session.ts';
import { ExportMenu } from './ExportMenu.tsx';
import { ThemeToggle } from './ThemeToggle.tsx';
import { TraceMenu } from './TraceMenu.tsx';

interface Props {
  snap: SessionSnapshot;
  /** A live trace is being followed. */
  live: boolean;
  analysis: AnalysisState;
  exportReady: boolean;
  showExport: boolean;
  /** One file or several picked together. */
  onFiles(files: readonly File[]): void;
  onOpenServer(files: readonly ServerFile[], follow: boolean): void;
  onStop(): void;
  onHelp(): void;
  /** The hidden file input; the page's other "Choose a file…" buttons click it too. */
  fileInput: RefObject<HTMLInputElement | null>;
}

/** Brand, the open trace's name, live status with Stop, and the actions: export, open, server traces, theme, help. */
export function TopBar({ snap, live, analysis, exportReady, showExport, onFiles, onOpenServer, onStop, onHelp, fileInput }: Props) {
  return (
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
          <button type="button" className="btn btn-small" onClick={onStop} title="Stop following; the calls read so far stay">
            Stop
          </button>
        </>
      )}
      <div className="topbar-actions">
        {showExport && <ExportMenu analysis={analysis} name={exportBase(snap)} ready={exportReady} />}
        <button type="button" className="btn" onClick={() => fileInput.current?.click()}>
          Open file…
        </button>
        <TraceMenu onOpen={onOpenServer} />
        <ThemeToggle />
        <button type="button" className="btn btn-icon" onClick={onHelp} title="Keyboard shortcuts and query syntax (?)" aria-label="Keyboard shortcuts" data-testid="help-button">
          ?
        </button>
      </div>
      <input
        ref={fileInput}
        type="file"
        accept=".lct,application/octet-stream"
        multiple
        data-testid="file-input"
        hidden
        onChange={(e) => {
          const files = Array.from(e.currentTarget.files ?? []);
          if (files.length > 0) onFiles(files);
          e.currentTarget.value = '';
        }}
      />
    </header>
  );
}

/** What exports are named after: the file, a rotated recording's name, or the servers joined by '+' (as `kvtrace export` names a set). */
function exportBase(snap: SessionSnapshot): string | null {
  const t = snap.traces;
  if (t.length > 1) return t.map((x) => x.server).join('+');
  if (t.length === 1 && t[0]!.files.length > 1) return t[0]!.server;
  return snap.name;
}
