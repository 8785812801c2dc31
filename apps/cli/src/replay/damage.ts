import type { ReadReport } from '@kvtrace/trace';

/** What a reader skipped, in one line each, for the warnings of export and replay. */
export function describeDamage(report: ReadReport): string[] {
  const out: string[] = [];
  const t = report.truncated;
  if (t)
    out.push(
      t.claimed === null
        ? `truncated: the file ends inside the length prefix at byte ${t.offset}; every record before it was used`
        : `truncated: the frame at byte ${t.offset} claims ${t.claimed} bytes, only ${t.available} remain; every record before it was used`,
    );
  if (report.malformed) out.push(`${report.malformed} malformed frame(s) skipped${report.malformedFrames[0] ? ` (first at byte ${report.malformedFrames[0].offset}: ${report.malformedFrames[0].reason})` : ''}`);
  return out;
}
