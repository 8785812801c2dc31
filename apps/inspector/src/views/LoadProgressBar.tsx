import { formatBytes, formatCount, formatRate } from '../model/format.ts';
import type { SessionSnapshot } from '../model/session.ts';

/** Bytes, records and rate of the running load (as of its latest batch), with a cancel button. */
export function LoadProgressBar({ snap, onCancel }: { snap: SessionSnapshot; onCancel(): void }) {
  const p = snap.progress;
  const elapsed = Math.max(1e-3, (snap.progressAt - snap.startedAt) / 1000);
  const frac = snap.totalBytes ? Math.min(1, p.bytesRead / snap.totalBytes) : null;
  return (
    <div className="progress" role="progressbar" aria-label="Loading trace" aria-valuemin={0} aria-valuemax={100} aria-valuenow={frac === null ? undefined : Math.round(frac * 100)}>
      <div className="progress-track">
        <div className={`progress-fill${frac === null ? ' is-indeterminate' : ''}`} style={{ width: frac === null ? '30%' : `${frac * 100}%` }} />
      </div>
      <div className="progress-text">
        <span>
          {formatBytes(p.bytesRead)}
          {snap.totalBytes ? ` of ${formatBytes(snap.totalBytes)}` : ''}
        </span>
        <span>{formatCount(p.records)} calls</span>
        <span>{formatRate(p.bytesRead / elapsed / 1048576, 'MiB')}</span>
        <span>{formatRate(p.records / elapsed, 'calls')}</span>
        <button type="button" className="btn btn-small" onClick={onCancel} data-testid="cancel-load">
          Cancel
        </button>
      </div>
    </div>
  );
}
