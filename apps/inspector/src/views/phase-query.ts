/**
 * The query terms a latency brush writes: `field>=lo field<=hi` (no upper term for the tail), in a
 * unit that keeps three significant digits, rounded outwards so the brushed bins stay inside.
 * Terms of the same field already in the query are replaced; the rest of the query is kept.
 */
export function brushQuery(current: string, field: string, lo: number, hi: number | null): string {
  const own = new RegExp(`(^|\\s)${field}\\s*(>=|<=|>|<|=)\\s*\\S+`, 'g');
  const rest = current.replace(own, ' ').replace(/\s+/g, ' ').trim();
  const terms = [`${field}>=${seconds(lo, Math.floor)}`, ...(hi === null ? [] : [`${field}<=${seconds(hi, Math.ceil)}`])];
  return [rest, ...terms].filter((t) => t !== '').join(' ');
}

/** Seconds as the query language writes them (`s`, `ms`, `us`), rounded with `round` at 3 significant digits. */
export function seconds(v: number, round: (x: number) => number): string {
  if (v <= 0) return '0s';
  const [scale, unit] = v >= 1 ? [1, 's'] : v >= 1e-3 ? [1e3, 'ms'] : [1e6, 'us'];
  const x = v * scale;
  const step = 10 ** (Math.floor(Math.log10(x)) - 2);
  return `${Number((round(x / step) * step).toPrecision(12))}${unit}`;
}
