import type { LoadFailure } from '../model/session.ts';

const TITLES: Record<string, string> = {
  empty: 'This file is empty',
  truncated_header: 'The file ends inside its header',
  not_a_header: 'This is not a trace header',
  bad_magic: 'Not a kvtrace / LMCache trace',
  unsupported_format_version: 'Unsupported trace format version',
  unsupported_schema_version: 'Unsupported trace schema version',
  io: 'The trace could not be read',
  network: 'The trace could not be fetched',
  cancelled: 'Loading cancelled',
  internal: 'The parser stopped',
  set: 'These files do not make one set of traces',
};

const HINTS: Record<string, string> = {
  empty: 'A recorder writes its header on the first record, config or close; an empty file means it never got that far.',
  bad_magic: 'A trace starts with a header whose magic is the 4 bytes LMCT.',
  unsupported_format_version: 'This build reads format version 1.',
  unsupported_schema_version: 'This build reads trace schema versions 1 and 2.',
  set: 'Files open together are rotated segments of recordings (NAME.lct, NAME.000001.lct, ...) and whole traces; each segment once.',
};

/** A header error (or an unreadable source): the whole page says so, with the reader's message. */
export function FailedPage({ name, error, onChoose }: { name: string | null; error: LoadFailure; onChoose(): void }) {
  return (
    <div className="failed-page" role="alert" data-failure={error.kind}>
      <div className="failed-card">
        <div className="failed-icon" aria-hidden="true">
          !
        </div>
        <h1>{TITLES[error.kind] ?? 'The trace could not be opened'}</h1>
        {name && <p className="mono failed-file">{name}</p>}
        <pre className="failed-message" data-testid="failed-message">
          {error.message}
        </pre>
        {HINTS[error.kind] && <p className="muted">{HINTS[error.kind]}</p>}
        <button type="button" className="btn btn-primary" onClick={onChoose}>
          Open another file…
        </button>
      </div>
    </div>
  );
}
