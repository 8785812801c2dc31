/** A run of consecutive records of one file, as the reading pass saw them: what one shard indexes. */
export interface PlannedUnit {
  trace: number;
  file: number;
  /** Bytes [start, end) of the file: the run's frames, from its first record's to its last's end. */
  start: number;
  end: number;
  /** Record index (within its trace) of the run's first record; the others follow it. */
  firstRecord: number;
  count: number;
}

/**
 * Cuts the records of the reading pass into units for the shard workers, as they are read: per
 * trace, consecutive records of one file, up to `maxBytes` or `maxRecords` a unit. A unit starts
 * and ends on frame boundaries the reader found (a frame between two records that is not a record
 * lies inside a unit and is skipped by the shard as the reader skipped it), and a trace's units
 * close in its record order, so the merge can take them in order. Nothing is kept per record.
 */
export class UnitPlanner {
  private readonly open: (PlannedUnit | null)[];

  constructor(
    traces: number,
    private readonly limits: { maxBytes: number; maxRecords: number },
    private readonly onUnit: (u: PlannedUnit) => void,
  ) {
    this.open = Array.from({ length: traces }, () => null);
  }

  add(trace: number, file: number, offset: number, frameBytes: number, recordIndex: number): void {
    let u: PlannedUnit | null = this.open[trace] ?? null;
    if (u !== null && (u.file !== file || offset + frameBytes - u.start > this.limits.maxBytes || u.count >= this.limits.maxRecords)) {
      this.onUnit(u);
      u = null;
    }
    if (u === null) u = this.open[trace] = { trace, file, start: offset, end: offset, firstRecord: recordIndex, count: 0 };
    u.end = offset + frameBytes;
    u.count++;
  }

  /** Closes every open unit (the reading pass ended, or was stopped). */
  flush(): void {
    for (let t = 0; t < this.open.length; t++) {
      const u = this.open[t];
      if (u) this.onUnit(u);
      this.open[t] = null;
    }
  }
}
