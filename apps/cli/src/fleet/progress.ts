/**
 * A one-line progress bar on standard error when it is a terminal (never in pipes, files or CI
 * logs, where commands print plain lines instead). Progress is in bytes: records vary in size,
 * bytes tell the remaining time. Redrawn at most every 100 ms: a redraw per chunk would cost more
 * than reading it.
 */
export class Progress {
  readonly enabled: boolean;
  private shown = false;
  private lastDraw: number;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly out: Pick<NodeJS.WriteStream, 'isTTY' | 'write'> = process.stderr,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.enabled = out.isTTY === true;
    // The first draw waits too: a file read in under 100 ms never flashes a bar.
    this.lastDraw = now();
  }

  setTotal(total: number): void {
    this.total = total;
  }

  update(done: number, suffix = ''): void {
    if (!this.enabled || this.total <= 0) return;
    const now = this.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const f = Math.min(1, done / this.total);
    const width = 30;
    const full = Math.round(f * width);
    this.out.write(`\r\x1b[2K${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * f).toFixed(0).padStart(3)}% ${formatBytes(done)} of ${formatBytes(this.total)}${suffix ? `  ${suffix}` : ''}`);
    this.shown = true;
  }

  /** Removes the bar (before a line of output, and at the end). */
  clear(): void {
    if (this.enabled && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Bytes in the unit a reader takes in at a glance: 930 B, 12.4 MB, 6.02 GB (decimal, as disks and networks count). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}
