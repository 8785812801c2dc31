/** One figure with its label, as the panels' headline rows show them. */
export function Kpi({ label, value, tone, title }: { label: string; value: string; tone?: 'err' | 'warn' | undefined; title?: string }) {
  return (
    <div className={`kpi${tone ? ` kpi-${tone}` : ''}`} title={title}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}
