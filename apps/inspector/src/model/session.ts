import type { MalformedFrame, TraceHeader, TruncationReport } from '@kvtrace/trace';
import { RecordStore, type RecordBatch, type StoreFile } from './record-store.ts';

export type LoadState = 'empty' | 'loading' | 'ready' | 'partial' | 'failed';

export interface LoadProgress {
  bytesRead: number;
  records: number;
  malformed: number;
}

/** What reading one file of a set found (offsets are the file's own). */
export interface FileReport {
  name: string;
  /** The trace (position in the snapshot's `traces`) the file belongs to. */
  trace: number;
  records: number;
  bytesRead: number;
  malformed: number;
  malformedFrames: MalformedFrame[];
  truncated: TruncationReport | null;
  argDecodeErrors: number | null;
  /** Why reading stopped in this file (a header that is not a continuation, a broken stream). */
  error?: string;
  /** Never reached: an earlier file of its trace failed, or the load was stopped before it. */
  unread?: boolean;
}

/** One trace of the open set: a server's recording, one file or several rotated segments. */
export interface TraceInfo {
  /** Its name in the server column and `server:` queries (the recording's name). */
  server: string;
  /** Its first file's header. */
  header: TraceHeader;
  files: string[];
  /** Segments the set lacks between the first and the last given (`NAME.000002.lct`, ...). */
  missing: string[];
}

export interface FinalReport extends LoadProgress {
  malformedFrames: MalformedFrame[];
  truncated: TruncationReport | null;
  /** Records with unknown tags; null when arguments were not all decoded while loading. */
  argDecodeErrors: number | null;
  /** The stream broke after the header (a live trace's server went away): what came before is kept. */
  streamError?: string;
  /** The user stopped the load (Cancel, or Stop on a live trace): what was read is kept. */
  cancelled?: boolean;
  /** Several files: what each one holds and what is wrong with it (the totals above sum them). */
  files?: FileReport[];
}

export interface LoadFailure {
  /** A TraceHeaderError kind, or `io` / `internal`. */
  kind: string;
  message: string;
}

export interface SessionSnapshot {
  state: LoadState;
  /** Bumped for every change; views keyed on it re-render. */
  version: number;
  /** Bumped for every new load: a second file replaces the first. */
  loadId: number;
  name: string | null;
  totalBytes: number | null;
  /** The first trace's header (the earliest, when several are open). */
  header: TraceHeader | null;
  /** Every trace of the open set with its header; one entry for a single file. */
  traces: TraceInfo[];
  progress: LoadProgress;
  report: FinalReport | null;
  error: LoadFailure | null;
  cancelled: boolean;
  startedAt: number;
  /** When `progress` was last updated (the load's rates are taken at this time, not at render). */
  progressAt: number;
  firstRowAt: number | null;
  finishedAt: number | null;
}

/** Nothing read yet: what a new load (or none) starts from. */
function unread(startedAt: number): Omit<SessionSnapshot, 'state' | 'version' | 'loadId' | 'name' | 'totalBytes'> {
  return {
    header: null,
    traces: [],
    progress: { bytesRead: 0, records: 0, malformed: 0 },
    report: null,
    error: null,
    cancelled: false,
    startedAt,
    progressAt: startedAt,
    firstRowAt: null,
    finishedAt: null,
  };
}

type Listener = () => void;

/**
 * The load state machine (empty → loading → ready | partial | failed) and the record store it fills.
 * Plain TypeScript: the loader pushes into it, views read immutable snapshots through one hook.
 */
export class TraceSession {
  readonly store = new RecordStore();
  private listeners = new Set<Listener>();
  private snap: SessionSnapshot = { state: 'empty', version: 0, loadId: 0, name: null, totalBytes: null, ...unread(0) };

  constructor(private readonly now: () => number = () => performance.now()) {}

  readonly subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };

  readonly getSnapshot = (): SessionSnapshot => this.snap;

  begin(name: string, totalBytes: number | null): number {
    this.store.clear();
    const loadId = this.snap.loadId + 1;
    this.set({ state: 'loading', loadId, name, totalBytes, ...unread(this.now()) });
    return loadId;
  }

  /** The headers are read: `traces` names the set (absent: one file, one trace). */
  onHeader(header: TraceHeader, totalBytes: number | null, traces?: TraceInfo[]): void {
    this.assertLoading();
    const set = traces ?? [{ server: '', header, files: this.snap.name === null ? [] : [this.snap.name], missing: [] }];
    const files: StoreFile[] = set.flatMap((t, trace) => t.files.map((name) => ({ name, trace })));
    this.store.setFiles(files, set.length > 1 ? set.map((t) => t.server) : ['']);
    this.set({ header, traces: set, totalBytes: totalBytes ?? this.snap.totalBytes });
  }

  onBatch(batch: RecordBatch, progress: LoadProgress): void {
    this.assertLoading();
    this.store.append(batch);
    const now = this.now();
    const firstRowAt = this.snap.firstRowAt ?? (this.store.length > 0 ? now : null);
    this.set({ progress: { ...progress, records: this.store.length }, progressAt: now, firstRowAt });
  }

  finish(report: FinalReport): void {
    this.assertLoading();
    this.store.trim();
    const cancelled = report.cancelled === true;
    const fileDamaged = (report.files ?? []).some((f) => f.truncated !== null || f.malformed > 0 || f.error !== undefined || f.unread === true);
    const damaged = cancelled || fileDamaged || report.truncated !== null || report.malformed > 0 || report.streamError !== undefined;
    this.set({ state: damaged ? 'partial' : 'ready', cancelled, report: { ...report, records: this.store.length }, progress: { ...report, records: this.store.length }, finishedAt: this.now() });
  }

  /** Stops a load the user cancelled: the records read so far stay, marked partial. */
  cancel(): void {
    if (this.snap.state !== 'loading') return;
    this.store.trim();
    const p = this.snap.progress;
    if (!this.snap.header) {
      this.fail({ kind: 'cancelled', message: 'Loading was cancelled before the header was read.' });
      return;
    }
    this.set({
      state: 'partial',
      cancelled: true,
      report: { ...p, records: this.store.length, malformedFrames: [], truncated: null, argDecodeErrors: null },
      finishedAt: this.now(),
    });
  }

  fail(error: LoadFailure): void {
    this.store.clear();
    this.set({ state: 'failed', error, finishedAt: this.now() });
  }

  reset(): void {
    this.store.clear();
    this.set({ state: 'empty', name: null, totalBytes: null, loadId: this.snap.loadId + 1, ...unread(0) });
  }

  private assertLoading(): void {
    if (this.snap.state !== 'loading') throw new Error(`session is ${this.snap.state}, not loading`);
  }

  private set(patch: Partial<SessionSnapshot>): void {
    this.snap = { ...this.snap, ...patch, version: this.snap.version + 1 };
    for (const l of this.listeners) l();
  }
}
