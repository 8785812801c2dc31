import type { TraceHeader, TraceRecord } from '@kvtrace/trace';
import type { ExportFormat } from './format.ts';
import { argsToJson } from './to-json.ts';

/** One JSON object per record and line; a record whose arguments do not decode keeps `args: null` and says why. */
export class JsonlFormat implements ExportFormat {
  begin(_header: TraceHeader, _source: string): string {
    return '';
  }

  record(rec: TraceRecord): string {
    const { args, error } = argsToJson(() => rec.args());
    const line: Record<string, unknown> = { index: rec.index, offset: rec.offset, t_mono: rec.t_mono, t_wall: rec.t_wall, qualname: rec.qualname, args };
    if (error !== null) line.args_error = error;
    return JSON.stringify(line) + '\n';
  }

  end(): string {
    return '';
  }
}
