import type { ReactNode } from 'react';

/** One figure with its label, as the panels' headline rows show them. */
export function Kpi({ label, value, tone, title, testId }: { label: ReactNode; value: ReactNode; tone?: 'err' | 'warn' | undefined; title?: string; testId?: string }) {
  return (
    <div className={`kpi${tone ? ` kpi-${tone}` : ''}`} title={title} data-testid={testId}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}
