import { useCallback, useEffect, useRef, useState } from 'react';
import type { ServerFile } from '../model/trace-set.ts';
import { formatBytes } from '../model/format.ts';
import { openRequestOf, serverRecordings, type ServerRecording, type ServerTrace } from './server-recordings.ts';
import { useDismiss } from './use-dismiss.ts';

type ListState = { status: 'loading' } | { status: 'ok'; recordings: ServerRecording[] } | { status: 'none'; reason: string };

/** `GET /traces` as recordings (rotated segments grouped), fetched again whenever `refresh` changes (opening the menu). */
export function useServerTraces(refresh: number): ListState {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    fetch('/traces', { headers: { Accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { traces?: ServerTrace[] };
        if (!Array.isArray(body.traces)) throw new Error('unexpected response');
        if (live) setState({ status: 'ok', recordings: serverRecordings(body.traces) });
      })
      .catch((e: unknown) => {
        // Served statically (vite preview, a file server): there is simply no list.
        if (live) setState({ status: 'none', reason: e instanceof Error ? e.message : String(e) });
      });
    return () => {
      live = false;
    };
  }, [refresh]);
  return state;
}

const mtimeText = (m: string | number): string => {
  const d = new Date(typeof m === 'number' && m < 1e12 ? m * 1000 : m);
  return Number.isNaN(d.getTime()) ? String(m) : d.toLocaleString();
};

/** `onOpen(files, follow)`: a recording's files; one still being recorded is opened live (`?follow=1`). */
type OnOpen = (files: readonly ServerFile[], follow: boolean) => void;

/** Which recordings are ticked, by name; names gone from a fresh listing are dropped. */
function useSelection(recordings: readonly ServerRecording[]) {
  const [ticked, setTicked] = useState<ReadonlySet<string>>(new Set());
  const chosen = recordings.filter((r) => ticked.has(r.name));
  const toggle = (name: string) =>
    setTicked((t) => {
      const next = new Set(t);
      if (!next.delete(name)) next.add(name);
      return next;
    });
  return { chosen, isTicked: (name: string) => ticked.has(name), toggle, clear: () => setTicked(new Set()) };
}

const segmentsBadge = (r: ServerRecording) =>
  r.files.length > 1 && (
    <span className="badge" title={r.files.map((f) => f.name).join('\n')}>
      {r.files.length} segments
    </span>
  );

/**
 * The empty page's list of the server's traces: a click opens one recording (all its segments);
 * ticked recordings open together, one table with a server column and a timeline track each.
 */
export function ServerTraceList({ onOpen }: { onOpen: OnOpen }) {
  const list = useServerTraces(0);
  const sel = useSelection(list.status === 'ok' ? list.recordings : []);
  if (list.status !== 'ok') return null;
  const open = (rs: readonly ServerRecording[]) => {
    const { files, follow } = openRequestOf(rs);
    onOpen(files, follow);
  };
  return (
    <section className="server-list" aria-label="Traces on the server" data-testid="server-traces">
      <div className="server-list-head">
        <h2>On the server</h2>
        {list.recordings.length > 1 && (
          <button type="button" className="btn btn-small btn-primary" disabled={sel.chosen.length === 0} onClick={() => open(sel.chosen)} data-testid="open-selected">
            Open {sel.chosen.length > 1 ? `${sel.chosen.length} traces together` : 'selected'}
          </button>
        )}
      </div>
      {list.recordings.length === 0 ? (
        <p className="muted">No traces in the server's directory yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th className="pick" aria-label="Select" />
              <th>name</th>
              <th className="num">size</th>
              <th>modified</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {list.recordings.map((r) => (
              <tr key={r.name} data-recording={r.name}>
                <td className="pick">
                  <input type="checkbox" aria-label={`Select ${r.name}`} checked={sel.isTicked(r.name)} onChange={() => sel.toggle(r.name)} />
                </td>
                <td>
                  <button type="button" className="link mono" onClick={() => open([r])}>
                    {r.name}
                  </button>{' '}
                  {segmentsBadge(r)}
                </td>
                <td className="num">{formatBytes(r.size)}</td>
                <td>{mtimeText(r.mtime)}</td>
                <td className="status-cell">
                  {r.recording && <span className="badge badge-info">recording</span>}
                  {r.error ? (
                    <span className="badge badge-err" title={r.error}>
                      {r.error}
                    </span>
                  ) : r.header ? (
                    <span className="muted">
                      {r.header.level ?? ''} v{r.header.trace_schema_version ?? '?'}
                    </span>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The top bar's "Server traces" menu (hidden when the page is not served by apps/server): open one, or tick several. */
export function TraceMenu({ onOpen }: { onOpen: OnOpen }) {
  const [open, setOpen] = useState(false);
  const [opened, setOpened] = useState(0);
  const list = useServerTraces(opened);
  const sel = useSelection(list.status === 'ok' ? list.recordings : []);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, ref, close);
  if (list.status !== 'ok') return null;
  const openThese = (rs: readonly ServerRecording[]) => {
    setOpen(false);
    sel.clear();
    const { files, follow } = openRequestOf(rs);
    onOpen(files, follow);
  };
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="btn"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => {
          if (!open) setOpened(opened + 1);
          setOpen(!open);
        }}
      >
        Server traces ▾
      </button>
      {open && (
        <div className="menu-list" role="menu">
          {list.recordings.length === 0 && <div className="menu-empty muted">none</div>}
          {list.recordings.map((r) => (
            <div key={r.name} className="menu-row">
              <input type="checkbox" aria-label={`Select ${r.name}`} checked={sel.isTicked(r.name)} onChange={() => sel.toggle(r.name)} />
              <button type="button" role="menuitem" className="menu-item" onClick={() => openThese([r])}>
                <span className="mono">
                  {r.name} {segmentsBadge(r)} {r.recording && <span className="badge badge-info">live</span>}
                </span>
                <span className="muted">{formatBytes(r.size)}</span>
              </button>
            </div>
          ))}
          {list.recordings.length > 1 && (
            <div className="menu-foot">
              <button type="button" className="btn btn-small btn-primary" disabled={sel.chosen.length === 0} onClick={() => openThese(sel.chosen)}>
                Open {sel.chosen.length} selected together
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
