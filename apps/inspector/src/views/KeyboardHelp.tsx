import { QUERY_EXAMPLES } from '@kvtrace/trace';
import { useEffect, useRef } from 'react';

const SHORTCUTS: readonly { keys: string[]; what: string }[] = [
  { keys: ['?'], what: 'this help' },
  { keys: ['/'], what: 'focus the query' },
  { keys: ['↑', '↓', 'PgUp', 'PgDn', 'Home', 'End'], what: 'move through calls (the details follow)' },
  { keys: ['W', 'S'], what: 'zoom the timeline in, out' },
  { keys: ['A', 'D'], what: 'pan the timeline left, right' },
  { keys: ['+', '−', '←', '→'], what: 'zoom and pan the focused timeline' },
  { keys: ['0'], what: 'whole trace (focused timeline)' },
  { keys: ['Esc'], what: 'clear the time window (focused timeline), close popups' },
  { keys: ['B'], what: 'bookmark the selected call (or remove it)' },
  { keys: ['Alt', 'click'], what: 'a method toggle: only that method' },
];

/** The `?` overlay: every shortcut, and the query syntax by example. */
export function KeyboardHelp({ onClose }: { onClose(): void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        onClose();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" tabIndex={-1} ref={ref} data-testid="keyboard-help">
        <div className="modal-head">
          <h2>Keyboard shortcuts</h2>
          <button type="button" className="chip-x" aria-label="Close" onClick={onClose}>
            ×
          </button>
        </div>
        <table className="data-table shortcuts">
          <tbody>
            {SHORTCUTS.map((s) => (
              <tr key={s.what}>
                <td>
                  {s.keys.map((k) => (
                    <kbd key={k}>{k}</kbd>
                  ))}
                </td>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h3 className="sub-title">Query examples</h3>
        <table className="data-table shortcuts">
          <tbody>
            {QUERY_EXAMPLES.map((x) => (
              <tr key={x.query}>
                <td className="mono">{x.query}</td>
                <td>{x.means}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
