import { PHASES, type DurationStats, type PhaseName } from '@kvtrace/trace';
import { formatCount, formatDuration } from '../model/format.ts';
import { DataTable, type Column } from './DataTable.tsx';
import { PHASE_TEXT } from './flag-text.ts';

type Figure = 'p50' | 'p90' | 'p99' | 'max';

/**
 * Per request phase: count and nearest-rank percentiles (`figures`), one duration per request;
 * `extra` adds a column after them (the Requests panel's histograms).
 */
export function PhaseTable({
  phases,
  figures = ['p50', 'p90', 'p99'],
  extra,
  className,
}: {
  phases: Record<PhaseName, DurationStats>;
  figures?: readonly Figure[];
  extra?: Column<PhaseName>;
  className?: string;
}) {
  const columns: Column<PhaseName>[] = [
    { head: 'phase', cell: (p) => PHASE_TEXT[p] },
    { head: 'count', num: true, cell: (p) => formatCount(phases[p].count) },
    ...figures.map((f): Column<PhaseName> => ({ head: f, num: true, cell: (p) => formatDuration(phases[p][f]) })),
    ...(extra ? [extra] : []),
  ];
  return <DataTable columns={columns} rows={PHASES} rowKey={(p) => p} rowProps={(p) => ({ 'data-phase': p })} className={className} />;
}
