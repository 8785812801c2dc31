/** A plain-text table for terminals: padded columns, a rule under the header. */
export function formatTable(head: string[], rows: string[][], opts: { indent?: number; align?: ('l' | 'r')[] } = {}): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = ' '.repeat(opts.indent ?? 0);
  const cell = (s: string, i: number) => (opts.align?.[i] === 'r' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]) => pad + r.map(cell).join('  ').trimEnd();
  return [line(head), pad + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
