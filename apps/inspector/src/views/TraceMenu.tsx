import { useCallback, useEffect, useRef, useState } from 'react';
import { formatBytes } from '../model/format.ts';
import { useDismiss } from './use-dismiss.ts';

/** One entry of `GET /traces` (apps/server). */
export interface ServerTrace {
  name: string;
  size: number;
  mtime: string | number;
  recording: boolean;
  header: { level?: string; trace_schema_version?: number; t_wall_start?: number } | null;
  error: string | null;
}

type ListState = { status: 'loading' } | { status: 'ok'; traces: ServerTrace[] } | { status: 'none'; reason: string };

/** `GET /traces`, fetched again whenever `refresh` changes (opening the menu). */
export function useServerTraces(refresh: number): ListState {
  const [state, setState] = useState<ListState>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    fetch('/traces', { headers: { Accept: 'application/json' } })
      .then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { traces?: ServerTrace[] };
        if (!Array.isArray(body.traces)) throw new Error('unexpected response');
        if (live) setState({ status: 'ok', traces: body.traces });
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

/** `onOpen(name, follow)`: a trace still being recorded is opened live (`?follow=1`). */
export function ServerTraceList({ onOpen }: { onOpen(name: string, follow: boolean): void }) {
  const list = useServerTraces(0);
  if (list.status !== 'ok') return null;
  return (
    <section className="server-list" aria-label="Traces on the server" data-testid="server-traces">
      <h2>On the server</h2>
      {list.traces.length === 0 ? (
        <p className="muted">No traces in the server's directory yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>name</th>
              <th className="num">size</th>
              <th>modified</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {list.traces.map((t) => (
              <tr key={t.name}>
                <td>
                  <button type="button" className="link mono" onClick={() => onOpen(t.name, t.recording)}>
                    {t.name}
                  </button>
                </td>
                <td className="num">{formatBytes(t.size)}</td>
                <td>{mtimeText(t.mtime)}</td>
                <td className="status-cell">
                  {t.recording && <span className="badge badge-info">recording</span>}
                  {t.error ? (
                    <span className="badge badge-err" title={t.error}>
                      {t.error}
                    </span>
                  ) : t.header ? (
                    <span className="muted">
                      {t.header.level ?? ''} v{t.header.trace_schema_version ?? '?'}
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

/** The top bar's "Server traces" menu (hidden when the page is not served by apps/server). */
export function TraceMenu({ onOpen }: { onOpen(name: string, follow: boolean): void }) {
  const [open, setOpen] = useState(false);
  const [opened, setOpened] = useState(0);
  const list = useServerTraces(opened);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, ref, close);
  if (list.status !== 'ok') return null;
  return (
    <div className="menu" ref={ref}>
      <button type="button" className="btn" aria-haspopup="menu" aria-expanded={open} onClick={() => {
          if (!open) setOpened(opened + 1);
          setOpen(!open);
        }}
      >
        Server traces ▾
      </button>
      {open && (
        <div className="menu-list" role="menu">
          {list.traces.length === 0 && <div className="menu-empty muted">none</div>}
          {list.traces.map((t) => (
            <button
              type="button"
              role="menuitem"
              key={t.name}
              className="menu-item"
              onClick={() => {
                setOpen(false);
                onOpen(t.name, t.recording);
              }}
            >
              <span className="mono">
                {t.name} {t.recording && <span className="badge badge-info">live</span>}
              </span>
              <span className="muted">{formatBytes(t.size)}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
