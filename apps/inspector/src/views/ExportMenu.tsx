import { useCallback, useRef, useState } from 'react';
import type { AnalysisState } from '../model/analysis.ts';
import type { ExportFormat } from '../model/queries.ts';
import { downloadBlob, exportName } from './download.ts';
import { useDismiss } from './use-dismiss.ts';

const ITEMS: { format: ExportFormat; label: string; hint: string; suffix: string }[] = [
  { format: 'jsonl', label: 'Filtered calls as JSON lines', hint: 'one object per call, arguments included', suffix: 'calls.jsonl' },
  { format: 'csv', label: 'Filtered calls as CSV', hint: 'arguments as a JSON column', suffix: 'calls.csv' },
  { format: 'chrome', label: 'Whole trace as Chrome trace JSON', hint: 'calls as instant events with their arguments, requests as spans: opens in Perfetto', suffix: 'chrome-trace.json' },
];

/** Exports are built in the worker from the analyzer's generators and saved as a download. */
export function ExportMenu({ analysis, name, ready }: { analysis: AnalysisState; name: string | null; ready: boolean }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(open, ref, close);

  const run = async (format: ExportFormat, suffix: string) => {
    setBusy(format);
    setError(null);
    try {
      downloadBlob(await analysis.exportBlob(format, name ?? 'trace'), exportName(name, suffix));
      setOpen(false);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="menu" ref={ref}>
      <button type="button" className="btn" aria-haspopup="menu" aria-expanded={open} disabled={!ready} title={ready ? 'Export' : 'Available once the trace is indexed'} onClick={() => setOpen(!open)}>
        Export ▾
      </button>
      {open && (
        <div className="menu-list" role="menu">
          {ITEMS.map((it) => (
            <button key={it.format} type="button" role="menuitem" className="menu-item menu-item-2" disabled={busy !== null} onClick={() => void run(it.format, it.suffix)} data-export={it.format}>
              <span>{busy === it.format ? 'Exporting…' : it.label}</span>
              <span className="muted">{it.hint}</span>
            </button>
          ))}
          {error && <div className="menu-empty badge-err">{error}</div>}
        </div>
      )}
    </div>
  );
}
