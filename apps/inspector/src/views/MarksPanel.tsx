import type { Bookmarks } from '../model/bookmarks.ts';
import { formatRelSeconds } from '../model/format.ts';
import type { RecordStore } from '../model/record-store.ts';
import { CallLink } from './CallLink.tsx';
import { useExternal } from './use-external.ts';

/** Bookmarked calls with their notes (they are in the permalink): jump, edit the note, remove. */
export function MarksPanel({ bookmarks, store, onJump }: { bookmarks: Bookmarks; store: RecordStore; onJump(call: number): void }) {
  const marks = useExternal(bookmarks);
  return (
    <section className="panel" aria-label="Bookmarks" data-testid="marks">
      <h2 className="panel-title">Bookmarks</h2>
      {marks.length === 0 ? (
        <p className="muted panel-hint">
          No bookmarks yet. Select a call and press <kbd>B</kbd> (or ☆ in the Call tab); bookmarks and their notes are kept in the link.
        </p>
      ) : (
        <ul className="marks">
          {marks.map((m) => (
            <li key={m.call} className="mark" data-call={m.call}>
              <CallLink store={store} call={m.call} onJump={onJump} />
              <span className="mono muted">{m.call < store.length ? `${formatRelSeconds(store.tMono[m.call]!)} s` : 'not loaded'}</span>
              <input
                className="mark-note"
                aria-label={`Note on call ${m.call}`}
                placeholder="note…"
                defaultValue={m.note}
                onBlur={(e) => bookmarks.set(m.call, e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter') e.currentTarget.blur();
                }}
              />
              <button type="button" className="chip-x" aria-label={`Remove the bookmark on call ${m.call}`} onClick={() => bookmarks.remove(m.call)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
