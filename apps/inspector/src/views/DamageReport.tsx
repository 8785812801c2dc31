import { FRAME_PREFIX_BYTES } from '@kvtrace/trace';
import { useState } from 'react';
import { formatBytes, formatCount } from '../model/format.ts';
import type { SessionSnapshot } from '../model/session.ts';

/** What is wrong with a readable trace: a cut tail, skipped frames, unknown tags, a cancelled load. */
export function DamageReport({ snap }: { snap: SessionSnapshot }) {
  const [showFrames, setShowFrames] = useState(false);
  const r = snap.report;
  if (!r) return null;
  const banners = [];
  if (snap.cancelled)
    banners.push(
      <div key="cancel" className="banner banner-warn" role="status" data-testid="cancelled-banner">
        <strong>Loading cancelled.</strong> {formatCount(r.records)} calls read from the first {formatBytes(r.bytesRead)}
        {snap.totalBytes ? ` of ${formatBytes(snap.totalBytes)}` : ''}.
      </div>,
    );
  if (r.streamError)
    banners.push(
      <div key="stream" className="banner banner-warn" role="alert" data-testid="stream-banner">
        <strong>The stream stopped.</strong> {formatCount(r.records)} calls read before: {r.streamError}
      </div>,
    );
  const t = r.truncated;
  if (t)
    banners.push(
      <div key="trunc" className="banner banner-warn" role="alert" data-testid="truncated-banner">
        <strong>Truncated trace.</strong>{' '}
        {t.claimed === null
          ? `${formatCount(r.records)} calls read; the length prefix at byte ${t.offset} is cut after ${t.available} of ${FRAME_PREFIX_BYTES} bytes.`
          : `${formatCount(r.records)} calls read; the frame at byte ${t.offset} claims ${formatCount(t.claimed)} bytes, only ${formatCount(t.available)} remain.`}{' '}
        <span className="muted">The recorder probably stopped mid-write (a crash); every complete call before it is shown.</span>
      </div>,
    );
  if (r.malformed > 0)
    banners.push(
      <div key="malformed" className="banner banner-err" role="alert" data-testid="malformed-banner">
        <strong>
          {formatCount(r.malformed)} malformed record frame{r.malformed === 1 ? '' : 's'} skipped.
        </strong>{' '}
        <button type="button" className="link" onClick={() => setShowFrames(!showFrames)}>
          {showFrames ? 'hide' : 'show'} offsets
        </button>
        {showFrames && (
          <ul className="frame-list">
            {r.malformedFrames.map((f) => (
              <li key={f.offset}>
                <span className="mono">byte {f.offset}</span> ({f.length} bytes): {f.reason}
              </li>
            ))}
            {r.malformed > r.malformedFrames.length && <li className="muted">…and {r.malformed - r.malformedFrames.length} more</li>}
          </ul>
        )}
      </div>,
    );
  if (r.argDecodeErrors)
    banners.push(
      <div key="tags" className="banner banner-info" role="status" data-testid="unknown-tags-banner">
        <strong>
          {formatCount(r.argDecodeErrors)} call{r.argDecodeErrors === 1 ? '' : 's'} carry values with codec tags this build does not know.
        </strong>{' '}
        They are shown raw, marked <span className="badge badge-warn">unknown tag</span>.
      </div>,
    );
  return banners.length > 0 ? <div className="banners">{banners}</div> : null;
}
