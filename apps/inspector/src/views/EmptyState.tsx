import type { ServerFile } from '../model/trace-set.ts';
import { ServerTraceList } from './TraceMenu.tsx';

export function EmptyState({ onChoose, onOpen }: { onChoose(): void; onOpen(files: readonly ServerFile[], follow: boolean): void }) {
  return (
    <div className="empty">
      <div className="empty-drop">
        <div className="empty-icon" aria-hidden="true">
          ⤓
        </div>
        <h1>Drop a .lct trace anywhere</h1>
        <p className="muted">
          Call traces of the KV-cache storage manager, from kvtrace or LMCache's recorder. Files of millions of calls open while they load; cut-off files
          show every complete call. Several files open as one: a rotated recording's segments, and several servers lined up on the wall clock.
        </p>
        <button type="button" className="btn btn-primary" onClick={onChoose}>
          Choose files…
        </button>
      </div>
      <ServerTraceList onOpen={onOpen} />
    </div>
  );
}
