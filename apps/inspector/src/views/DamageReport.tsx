import { FRAME_PREFIX_BYTES, type MalformedFrame, type TruncationReport } from '@kvtrace/trace';
import { useState, type ReactNode } from 'react';
import { formatBytes, formatCount } from '../model/format.ts';
import type { FileReport, SessionSnapshot } from '../model/session.ts';

/**
 * What is wrong with a readable trace: a cut tail, skipped frames, unknown tags, a cancelled load.
 * Several files open as one are reported per file (offsets are that file's), named with their
 * server when there are several.
 */
export function DamageReport({ snap }: { snap: SessionSnapshot }) {
  const r = snap.report;
  if (!r) return null;
  const banners: ReactNode[] = [];
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
  if (r.files) {
    const several = snap.traces.length > 1;
    for (const f of r.files) {
      const where = `${f.name}${several ? ` (${snap.traces[f.trace]?.server ?? ''})` : ''}`;
      banners.push(...fileBanners(`${f.name}:`, where, f));
    }
  } else {
    banners.push(...fileBanners('', null, { ...r, name: snap.name ?? '', trace: 0 }));
  }
  return banners.length > 0 ? <div className="banners">{banners}</div> : null;
}

/** The banners of one file: `where` names it when several are open (null: the one trace). */
function fileBanners(key: string, where: string | null, f: FileReport): ReactNode[] {
  const out: ReactNode[] = [];
  const name = where && (
    <>
      <span className="mono">{where}</span>:{' '}
    </>
  );
  if (f.error)
    out.push(
      <div key={`${key}error`} className="banner banner-err" role="alert" data-testid="file-error-banner" data-file={f.name}>
        {name}
        <strong>Reading stopped in this file.</strong> {f.error} <span className="muted">Its trace is shown up to here; the other traces are complete.</span>
      </div>,
    );
  if (f.unread)
    out.push(
      <div key={`${key}unread`} className="banner banner-warn" role="status" data-testid="file-unread-banner" data-file={f.name}>
        {name}
        <strong>Not read:</strong> an earlier segment of its recording could not be read past.
      </div>,
    );
  const t = f.truncated;
  if (t) out.push(<Truncated key={`${key}trunc`} name={name} records={f.records} t={t} file={f.name} />);
  if (f.malformed > 0) out.push(<Malformed key={`${key}malformed`} name={name} count={f.malformed} frames={f.malformedFrames} file={f.name} />);
  if (f.argDecodeErrors)
    out.push(
      <div key={`${key}tags`} className="banner banner-info" role="status" data-testid="unknown-tags-banner" data-file={f.name}>
        {name}
        <strong>
          {formatCount(f.argDecodeErrors)} call{f.argDecodeErrors === 1 ? '' : 's'} carry values with codec tags this build does not know.
        </strong>{' '}
        They are shown raw, marked <span className="badge badge-warn">unknown tag</span>.
      </div>,
    );
  return out;
}

function Truncated({ name, records, t, file }: { name: ReactNode; records: number; t: TruncationReport; file: string }) {
  return (
    <div className="banner banner-warn" role="alert" data-testid="truncated-banner" data-file={file}>
      {name}
      <strong>Truncated trace.</strong>{' '}
      {t.claimed === null
        ? `${formatCount(records)} calls read; the length prefix at byte ${t.offset} is cut after ${t.available} of ${FRAME_PREFIX_BYTES} bytes.`
        : `${formatCount(records)} calls read; the frame at byte ${t.offset} claims ${formatCount(t.claimed)} bytes, only ${formatCount(t.available)} remain.`}{' '}
      <span className="muted">The recorder probably stopped mid-write (a crash); every complete call before it is shown.</span>
    </div>
  );
}

function Malformed({ name, count, frames, file }: { name: ReactNode; count: number; frames: readonly MalformedFrame[]; file: string }) {
  const [show, setShow] = useState(false);
  return (
    <div className="banner banner-err" role="alert" data-testid="malformed-banner" data-file={file}>
      {name}
      <strong>
        {formatCount(count)} malformed record frame{count === 1 ? '' : 's'} skipped.
      </strong>{' '}
      <button type="button" className="link" onClick={() => setShow(!show)}>
        {show ? 'hide' : 'show'} offsets
      </button>
      {show && (
        <ul className="frame-list">
          {frames.map((f) => (
            <li key={f.offset}>
              <span className="mono">byte {f.offset}</span> ({f.length} bytes): {f.reason}
            </li>
          ))}
          {count > frames.length && <li className="muted">…and {count - frames.length} more</li>}
        </ul>
      )}
    </div>
  );
}
