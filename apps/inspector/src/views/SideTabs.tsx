import type { ObjectKey, TraceHeader } from '@kvtrace/trace';
import type { Inspector } from '../inspector.ts';
import type { AnalysisSnapshot } from '../model/analysis.ts';
import type { Bookmarks } from '../model/bookmarks.ts';
import type { CompareSource } from '../model/link-state.ts';
import type { SessionSnapshot } from '../model/session.ts';
import type { Filters } from '../model/view-state.ts';
import { ArgumentView } from './ArgumentView.tsx';
import { ComparePanel } from './ComparePanel.tsx';
import { HeaderPanel } from './HeaderPanel.tsx';
import { KeyPanel } from './KeyPanel.tsx';
import { RequestsPanel } from './RequestsPanel.tsx';
import { MarksPanel } from './MarksPanel.tsx';
import { StatsPanel } from './StatsPanel.tsx';

/** The panels, in tab order; a tab's label is its id capitalised (the id is what `tab=` links carry). */
const TABS = ['call', 'key', 'requests', 'stats', 'compare', 'marks'] as const;
export type Tab = (typeof TABS)[number];
export const TAB_IDS: readonly string[] = TABS;
const tabLabel = (t: Tab): string => t[0]!.toUpperCase() + t.slice(1);

interface Props {
  tab: Tab;
  onTab(tab: Tab): void;
  inspector: Inspector;
  snap: SessionSnapshot;
  header: TraceHeader;
  a: AnalysisSnapshot;
  bookmarks: Bookmarks;
  onFollowKey(key: ObjectKey, call: number): void;
  onJump(call: number): void;
  onFilter(patch: Partial<Filters>): void;
  onCompare(source: CompareSource | null): void;
}

/** The side pane: one tab per panel (the selected call, a followed key, requests, statistics, compare, bookmarks). */
export function SideTabs({ tab, onTab, inspector, snap, header, a, bookmarks, onFollowKey, onJump, onFilter, onCompare }: Props) {
  const analysis = inspector.analysis;
  const store = inspector.session.store;
  return (
    <aside className="side-pane">
      <div className="tabs" role="tablist" aria-label="Panels">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" id={`tab-${t}`} aria-selected={tab === t} aria-controls={`panel-${t}`} className="tab" onClick={() => onTab(t)}>
            {tabLabel(t)}
            {t === 'requests' && a.requests && a.requests.summary.flagCounts.read_leaked > 0 && <span className="tab-dot" aria-hidden="true" title="leaked locks" />}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'call' && (
          <>
            <ArgumentView inspector={inspector} index={a.selected} onFollowKey={onFollowKey} bookmarks={bookmarks} />
            <HeaderPanel header={header} name={snap.name} totalBytes={snap.totalBytes} traces={snap.traces} />
          </>
        )}
        {tab === 'key' && (
          <section className="panel" aria-label="Key">
            <h2 className="panel-title">Followed key</h2>
            <KeyPanel analysis={analysis} store={store} onJump={onJump} />
          </section>
        )}
        {tab === 'requests' && (
          <section className="panel" aria-label="Requests">
            <h2 className="panel-title">Requests and locks</h2>
            <RequestsPanel analysis={analysis} store={store} onJump={onJump} />
          </section>
        )}
        {tab === 'stats' && (
          <section className="panel" aria-label="Statistics">
            <h2 className="panel-title">Statistics</h2>
            <StatsPanel analysis={analysis} onFilter={onFilter} />
          </section>
        )}
        {tab === 'compare' && <ComparePanel inspector={inspector} onCompare={onCompare} />}
        {tab === 'marks' && <MarksPanel bookmarks={bookmarks} store={store} onJump={onJump} />}
      </div>
    </aside>
  );
}
