import type { TraceStats } from '@kvtrace/trace';
import { FLAG_LIMIT, HISTOGRAM_BINS, REQUEST_LIMIT, type AnalysisPort, type ExportFormat, type IndexProgress, type KeyReport, type RequestReport, type SliceReport, type WireKey, type WireQuery } from './queries.ts';
import { CallSpanCache } from './call-spans.ts';
import { filtersActive, NO_FILTERS, type Filters } from './view-state.ts';

export interface AnalysisSnapshot {
  version: number;
  filters: Filters;
  /** Call indices the table shows, ascending; null shows every call (no filter). */
  rows: Uint32Array | null;
  /** A filter query is on its way. */
  pending: boolean;
  /** Milliseconds the last filter took, round trip (worker query + transfer). */
  lastQueryMs: number | null;
  error: string | null;
  index: IndexProgress | null;
  selected: number | null;
  requests: RequestReport | null;
  /** Request spans as timeline slices (fetched once the index is complete, refreshed as a live trace grows). */
  slices: SliceReport | null;
  key: KeyReport | null;
  stats: TraceStats | null;
}

type Listener = () => void;

/** Re-query a live trace's filter at most this often while calls arrive. */
const LIVE_REFRESH_MS = 400;
export const STATS_BINS = 60;
/** On a growing trace, the whole-trace summaries are recomputed at most this often. */
const SUMMARY_REFRESH_MS = 2000;

const wire = (f: Filters): WireQuery => ({
  methods: f.methods,
  t0: f.t0 ?? undefined,
  t1: f.t1 ?? undefined,
  text: f.text.trim() === '' ? undefined : f.text,
  keyId: f.keyId ?? undefined,
});

/**
 * Filters, selection and the analyzer's answers for the open trace. Plain TypeScript: the views
 * change filters and read snapshots; every question goes to the worker through an AnalysisPort.
 * A newer query supersedes an older one (its answer is dropped), so typing never shows stale rows.
 */
export class AnalysisState {
  /** The request span of each row on screen (the table's duration column). */
  readonly callSpans = new CallSpanCache();
  private listeners = new Set<Listener>();
  private port: AnalysisPort | null = null;
  private seq = 0;
  private reqSeq = 0;
  private sliceSeq = 0;
  private statsSeq = 0;
  private keySeq = 0;
  private liveTimer: ReturnType<typeof setTimeout> | null = null;
  private summariesAt = -Infinity;
  private snap: AnalysisSnapshot = {
    version: 0,
    filters: NO_FILTERS,
    rows: null,
    pending: false,
    lastQueryMs: null,
    error: null,
    index: null,
    selected: null,
    requests: null,
    slices: null,
    key: null,
    stats: null,
  };

  readonly subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  readonly getSnapshot = (): AnalysisSnapshot => this.snap;

  /** A new trace: everything about the old one is forgotten, answers still on the way are dropped. */
  attach(port: AnalysisPort | null): void {
    this.port = port;
    this.seq++;
    this.reqSeq++;
    this.sliceSeq++;
    this.statsSeq++;
    this.keySeq++;
    if (this.liveTimer) clearTimeout(this.liveTimer);
    this.liveTimer = null;
    this.callSpans.attach(port);
    this.set({ filters: NO_FILTERS, rows: null, pending: false, error: null, index: null, selected: null, requests: null, slices: null, key: null, stats: null, lastQueryMs: null });
  }

  get indexed(): boolean {
    return this.snap.index?.done === true;
  }

  onIndex(p: IndexProgress): void {
    const wasDone = this.indexed;
    this.set({ index: p });
    // A big file's second pass would answer spans of a half-built index: wait for it to complete.
    this.callSpans.setEnabled(p.done || !p.secondPass);
    // Answers computed on a partial index are refreshed once it is complete.
    if (p.done && !wasDone) {
      this.refreshAll(true);
      // Flags are what a reader wants to know first, and the timeline draws the request spans:
      // both fetched unasked once the index is complete.
      if (!this.snap.requests) this.refreshRequests();
      if (!this.snap.slices) this.refreshSlices();
    }
  }

  /** New calls arrived (a live trace): keep filtered rows and open panels current, throttled. */
  onGrow(): void {
    if (this.liveTimer || !this.port) return;
    this.liveTimer = setTimeout(() => {
      this.liveTimer = null;
      this.refreshAll();
    }, LIVE_REFRESH_MS);
  }

  setFilters(patch: Partial<Filters>): void {
    const filters = { ...this.snap.filters, ...patch };
    this.set({ filters });
    if (patch.keyId !== undefined) {
      if (patch.keyId === null) this.set({ key: null });
      else void this.loadKey(patch.keyId);
    }
    void this.runFilter();
  }

  clearFilters(): void {
    this.setFilters({ ...NO_FILTERS });
  }

  select(call: number | null): void {
    if (call !== this.snap.selected) this.set({ selected: call });
  }

  /**
   * "Follow this key": resolves an ObjectKey to its key id in the worker, then filters by it. `call`
   * is the call it was read from: with several traces open, the key of that call's server.
   */
  async followKey(key: WireKey, call: number): Promise<number> {
    const port = this.port;
    if (!port) return -1;
    let id: number;
    try {
      id = await port.request({ kind: 'keyOf', key, call });
    } catch (e) {
      // Callers fire and forget (a click): the failure is shown, never left as an unhandled rejection.
      if (port === this.port) this.set({ error: String(e) });
      return -1;
    }
    if (port !== this.port) return -1;
    if (id < 0) {
      this.set({ error: 'That key is not in the index yet.' });
      return id;
    }
    this.setFilters({ keyId: id });
    return id;
  }

  refreshRequests(): void {
    const port = this.port;
    if (!port) return;
    const seq = ++this.reqSeq;
    port.request({ kind: 'requests', flagLimit: FLAG_LIMIT, requestLimit: REQUEST_LIMIT, bins: HISTOGRAM_BINS }).then(
      (r) => seq === this.reqSeq && this.set({ requests: r }),
      (e: unknown) => seq === this.reqSeq && this.set({ error: String(e) }),
    );
  }

  refreshSlices(): void {
    const port = this.port;
    if (!port) return;
    const seq = ++this.sliceSeq;
    port.request({ kind: 'slices' }).then(
      (r) => seq === this.sliceSeq && this.set({ slices: r }),
      (e: unknown) => seq === this.sliceSeq && this.set({ error: String(e) }),
    );
  }

  refreshStats(): void {
    const port = this.port;
    if (!port) return;
    const seq = ++this.statsSeq;
    port.request({ kind: 'stats', bins: STATS_BINS, query: null }).then(
      (r) => seq === this.statsSeq && this.set({ stats: r }),
      (e: unknown) => seq === this.statsSeq && this.set({ error: String(e) }),
    );
  }

  async exportBlob(format: ExportFormat, name: string): Promise<Blob> {
    if (!this.port) throw new Error('no trace is open');
    const f = this.snap.filters;
    return this.port.request({ kind: 'export', format, query: filtersActive(f) ? wire(f) : null, name });
  }

  private refreshAll(force = false): void {
    if (filtersActive(this.snap.filters)) void this.runFilter();
    if (this.snap.key) void this.loadKey(this.snap.key.info.keyId);
    const now = performance.now();
    if (!force && now - this.summariesAt < SUMMARY_REFRESH_MS) return;
    this.summariesAt = now;
    this.callSpans.invalidate();
    if (this.snap.requests) this.refreshRequests();
    if (this.snap.slices) this.refreshSlices();
    if (this.snap.stats) this.refreshStats();
  }

  private async loadKey(keyId: number): Promise<void> {
    const port = this.port;
    if (!port) return;
    const seq = ++this.keySeq;
    try {
      const r = await port.request({ kind: 'keyTimeline', keyId });
      if (seq === this.keySeq) this.set({ key: r });
    } catch (e) {
      if (seq === this.keySeq) this.set({ error: String(e) });
    }
  }

  private async runFilter(): Promise<void> {
    const seq = ++this.seq;
    const f = this.snap.filters;
    if (!filtersActive(f)) {
      this.set({ rows: null, pending: false, error: null });
      return;
    }
    const port = this.port;
    if (!port) return;
    this.set({ pending: true });
    const t0 = performance.now();
    try {
      const rows = await port.request({ kind: 'filter', query: wire(f) });
      if (seq === this.seq) this.set({ rows, pending: false, error: null, lastQueryMs: performance.now() - t0 });
    } catch (e) {
      // No rows: the last answer was for other filters, and showing it as this one's would lie.
      if (seq === this.seq) this.set({ rows: null, pending: false, error: String(e) });
    }
  }

  private set(patch: Partial<AnalysisSnapshot>): void {
    this.snap = { ...this.snap, ...patch, version: this.snap.version + 1 };
    for (const l of this.listeners) l();
  }
}
