/**
 * A one-line progress bar on standard error, only when it is a terminal (never in pipes, files or
 * CI logs). Progress is bytes read of the file: records vary in size, bytes do not lie about ETA.
 */
export class ProgressBar {
  private readonly enabled: boolean;
  private shown = false;

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = out.isTTY === true && total > 0;
  }

  update(done: number, records: number): void {
    if (!this.enabled) return;
    const f = Math.min(1, done / this.total);
    const width = 30;
    const full = Math.round(f * width);
    this.out.write(`\r${this.label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * f).toFixed(0).padStart(3)}%  ${records} records`);
    this.shown = true;
  }

  clear(): void {
    if (this.enabled && this.shown) this.out.write('\r\x1b[2K');
    this.shown = false;
  }
}
