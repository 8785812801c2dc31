import { PHASES, type DurationStats, type PhaseName } from '@kvtrace/trace';
import { formatCount, formatDuration } from '../model/format.ts';
import { PHASE_TEXT } from './flag-text.ts';

/** Per request phase: count and nearest-rank percentiles, one duration per request. */
export function PhaseTable({ phases, showMax = false }: { phases: Record<PhaseName, DurationStats>; showMax?: boolean }) {
  return (
    <table className="data-table">
      <thead>
        <tr>
          <th>phase</th>
          <th className="num">count</th>
          <th className="num">p50</th>
          <th className="num">p90</th>
          <th className="num">p99</th>
          {showMax && <th className="num">max</th>}
        </tr>
      </thead>
      <tbody>
        {PHASES.map((p) => {
          const d = phases[p];
          return (
            <tr key={p} data-phase={p}>
              <td>{PHASE_TEXT[p]}</td>
              <td className="num">{formatCount(d.count)}</td>
              <td className="num">{formatDuration(d.p50)}</td>
              <td className="num">{formatDuration(d.p90)}</td>
              <td className="num">{formatDuration(d.p99)}</td>
              {showMax && <td className="num">{formatDuration(d.max)}</td>}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
