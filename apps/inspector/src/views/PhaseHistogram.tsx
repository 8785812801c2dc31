import type { Histogram } from '@kvtrace/trace';
import { useState } from 'react';
import { formatCount, formatDuration } from '../model/format.ts';

const W = 240;
const H = 44;

/**
 * One phase's latency histogram (bins of equal width up to the phase's p99; the last bin holds
 * the tail). Drag across bins (or click one) to filter the table to the requests in that range:
 * `onBrush(lo, hi)` in seconds, hi null when the range reaches the tail.
 */
export function PhaseHistogram({ hist, label, onBrush }: { hist: Histogram; label: string; onBrush(lo: number, hi: number | null): void }) {
  const [drag, setDrag] = useState<[number, number] | null>(null);
  const n = hist.counts.length;
  const max = Math.max(1, ...hist.counts);
  const total = hist.counts.reduce((a, b) => a + b, 0);
  const bw = W / n;
  const binAt = (e: React.PointerEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return Math.min(n - 1, Math.max(0, Math.floor(((e.clientX - r.left) / Math.max(1, r.width)) * n)));
  };
  const [a, b] = drag ? [Math.min(...drag), Math.max(...drag)] : [-1, -1];
  const edge = (i: number) => hist.start + i * hist.width;
  return (
    <svg
      className="phase-hist"
      viewBox={`0 0 ${W} ${H}`}
      preserveAspectRatio="none"
      role="img"
      aria-label={`${label}: ${formatCount(total)} requests, 0 to ${formatDuration(edge(n))} and over; drag to filter`}
      data-testid="phase-hist"
      onPointerDown={(e) => {
        e.currentTarget.setPointerCapture(e.pointerId);
        const i = binAt(e);
        setDrag([i, i]);
      }}
      onPointerMove={(e) => drag && setDrag([drag[0], binAt(e)])}
      onPointerUp={() => {
        if (!drag) return;
        setDrag(null);
        onBrush(edge(a), b === n - 1 ? null : edge(b + 1));
      }}
    >
      {hist.counts.map((c, i) => {
        const h = c === 0 ? 0 : Math.max(1.5, (c / max) * (H - 2));
        return (
          <rect key={i} x={i * bw + 0.5} y={H - h} width={Math.max(0.5, bw - 1)} height={h} className={`bar${i >= a && i <= b ? ' is-brushed' : ''}${i === n - 1 && hist.overflow > 0 ? ' is-tail' : ''}`}>
            <title>{`${formatDuration(edge(i))}${i === n - 1 ? ' and over' : ` – ${formatDuration(edge(i + 1))}`}: ${formatCount(c)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}
