/** For CLI tests: a trace of any calls (any qualnames and values, even ones the recorder would refuse) with the seeded builder. */
import { TraceBuilder } from '@kvtrace/trace/test-support';

export interface RawCall {
  /** t_mono of the record, seconds. */
  t: number;
  qualname: string;
  names: readonly string[];
  args: readonly unknown[];
}

export function encodeCalls(calls: readonly RawCall[], header: { t_wall_start?: number } = {}): Uint8Array {
  const b = TraceBuilder.memory(header.t_wall_start === undefined ? {} : { tWallStart: header.t_wall_start });
  for (const c of calls) b.record(c.qualname, c.t, c.names, c.args);
  return b.bytes();
}
