import { shortMethodName } from '@kvtrace/trace';
import { createContext, useContext, useEffect, useMemo, useState } from 'react';
import type { ObjectKey, Violation } from '@kvtrace/trace';
import type { Inspector } from '../inspector.ts';
import type { Bookmarks } from '../model/bookmarks.ts';
import { argNode, callViolation, PAGE_SIZE, violationPlace, type ArgNode } from '../model/arg-nodes.ts';
import { formatBytes, formatRelSeconds, formatWall } from '../model/format.ts';
import { methodHue } from './methods.ts';
import { useExternal } from './use-external.ts';

/** How a key node asks to be followed, without threading a callback through every tree level. */
const FollowKey = createContext<((key: ObjectKey) => void) | null>(null);
/** What LMCache would refuse in the call's arguments, for the nodes on its path. */
const CallViolation = createContext<Violation | null>(null);

/**
 * The selected call: its envelope and a lazily expanded, codec-aware tree of its arguments. A key
 * is followed as a key of this call (with several servers open, of this call's server).
 */
export function ArgumentView({ inspector, index, onFollowKey, bookmarks }: { inspector: Inspector; index: number | null; onFollowKey(key: ObjectKey, call: number): void; bookmarks: Bookmarks }) {
  useExternal(inspector.args);
  useExternal(bookmarks);
  const store = inspector.session.store;
  const call = index !== null && index < store.length ? index : null;
  const entry = call === null ? undefined : inspector.args.get(call);
  const violation = useMemo(() => (entry?.ok ? callViolation(entry.args) : null), [entry]);
  useEffect(() => {
    if (call !== null && entry === undefined) inspector.args.request([call]);
  }, [inspector, call, entry]);
  if (call === null) {
    return (
      <section className="panel arg-view" aria-label="Arguments" data-testid="arg-view">
        <h2 className="panel-title">Arguments</h2>
        <p className="muted panel-hint">Select a call (click it, or move through the table with the arrow keys) to see its arguments.</p>
      </section>
    );
  }
  const q = store.qualname(call);
  const note = bookmarks.noteOf(call);
  const file = store.files.length > 1 ? store.files[store.fileOf(call)]?.name : undefined;
  return (
    <section className="panel arg-view" aria-label="Arguments" data-testid="arg-view" data-index={call}>
      <h2 className="panel-title">
        Call {call}{' '}
        <span className="method-chip" style={{ ['--hue' as string]: methodHue(q) }} title={q}>
          {shortMethodName(q)}
        </span>
        <button
          type="button"
          className={`btn btn-small bookmark${note !== null ? ' is-on' : ''}`}
          aria-pressed={note !== null}
          title="Bookmark this call (B); bookmarks and notes are kept in the link"
          data-testid="bookmark-toggle"
          onClick={() => bookmarks.toggle(call)}
        >
          {note !== null ? '★ bookmarked' : '☆ bookmark'}
        </button>
      </h2>
      {note !== null && (
        <input
          key={call}
          className="mark-note"
          aria-label="Bookmark note"
          placeholder="note (kept in the link)…"
          defaultValue={note}
          onBlur={(e) => bookmarks.set(call, e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.currentTarget.blur();
          }}
        />
      )}
      <dl className="facts">
        {store.severalServers && (
          <>
            <dt>server</dt>
            <dd className="mono" data-testid="call-server">
              {store.serverOf(call)}
            </dd>
          </>
        )}
        <dt>time</dt>
        <dd>
          {formatRelSeconds(store.tMono[call] ?? 0)} s{entry?.tWall === undefined ? '' : ` · ${formatWall(entry.tWall)}`}
        </dd>
        <dt>qualname</dt>
        <dd className="mono wrap">{q}</dd>
        <dt>frame</dt>
        <dd className="mono">
          {file !== undefined && `${file} · `}byte {store.offsetOf(call)} · {formatBytes(store.frameBytes[call] ?? 0)}
        </dd>
      </dl>
      {entry === undefined ? (
        <p className="muted">Reading arguments…</p>
      ) : !entry.ok ? (
        <p className="badge badge-err">Arguments unreadable: {entry.error}</p>
      ) : (
        <FollowKey.Provider value={(key) => onFollowKey(key, call)}>
          {violation && (
            <p className="arg-violation" data-testid="arg-violation">
              <span className="badge badge-warn">LMCache would refuse this record</span> <span className="mono">{violation.path}</span> {violation.rule}.
            </p>
          )}
          <CallViolation.Provider value={violation}>
            <ul className="tree" role="tree" aria-label="Argument tree" data-testid="arg-tree">
              {Object.entries(entry.args).map(([k, v]) => (
                <TreeNode key={`${call}:${k}`} node={argNode(k, v)} depth={0} defaultOpen />
              ))}
            </ul>
          </CallViolation.Provider>
        </FollowKey.Provider>
      )}
    </section>
  );
}

function TreeNode({ node, depth, defaultOpen = false }: { node: ArgNode; depth: number; defaultOpen?: boolean }) {
  const expandable = node.childCount > 0 && node.children !== undefined;
  const follow = useContext(FollowKey);
  const violation = useContext(CallViolation);
  const place = violation ? violationPlace(node, violation.path) : null;
  // The values holding what LMCache would refuse start open, down to it.
  const [open, setOpen] = useState(expandable && ((defaultOpen && node.childCount <= 64) || place === 'above'));
  const [shown, setShown] = useState(PAGE_SIZE);
  const kids = open && node.children ? node.children(0, Math.min(shown, node.childCount)) : [];
  return (
    <li role="treeitem" aria-expanded={expandable ? open : undefined} aria-level={depth + 1} className="tree-item" data-kind={node.kind}>
      <div className="tree-line" style={{ paddingLeft: depth * 14 }}>
        {expandable ? (
          <button type="button" className="twisty" aria-label={open ? 'Collapse' : 'Expand'} onClick={() => setOpen(!open)}>
            {open ? '▾' : '▸'}
          </button>
        ) : (
          <span className="twisty-space" />
        )}
        <span className="tree-name">{node.name}</span>
        <span className="tree-kind">{node.kind}</span>
        {node.badge && <span className="badge badge-warn">{node.badge}</span>}
        {place === 'at' && (
          <span className="badge badge-warn" data-testid="violation-badge" title={`This value ${violation!.rule}`}>
            refused by LMCache
          </span>
        )}
        <span className="tree-text">{node.text}</span>
        {node.objectKey && follow && (
          <button type="button" className="copy follow" title="Show every call that touches this key, and its lifecycles" onClick={() => follow(node.objectKey!)}>
            follow
          </button>
        )}
        {node.copy && <CopyButton text={node.copy} />}
      </div>
      {open && (
        <ul role="group" className="tree-group">
          {kids.map((k, i) => (
            <TreeNode key={i} node={k} depth={depth + 1} />
          ))}
          {node.childCount > shown && (
            <li className="tree-more" style={{ paddingLeft: (depth + 1) * 14 + 16 }}>
              <button type="button" className="link" onClick={() => setShown(shown + PAGE_SIZE)}>
                show {Math.min(PAGE_SIZE, node.childCount - shown)} more ({node.childCount - shown} hidden)
              </button>
            </li>
          )}
        </ul>
      )}
    </li>
  );
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  return (
    <button
      type="button"
      className="copy"
      title="Copy the full value"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => setDone(true), () => setDone(false));
      }}
    >
      {done ? 'copied' : 'copy'}
    </button>
  );
}
