/**
 * What a trace file holds, read in Node with libs/trace's reader: the expected answers of the e2e
 * checks come from the file itself, never typed into a test.
 */
import { shortMethodName, TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';

export interface CallFact {
  method: string;
  t: number;
  keys: number;
  args: Record<string, unknown>;
}

export async function readCalls(path: string): Promise<CallFact[]> {
  const reader = new TraceReader(fileStream(path), { decodeArgs: false });
  const out: CallFact[] = [];
  for await (const batch of reader.batches()) {
    for (const r of batch) {
      const args = r.decodeArgs();
      const keys = Array.isArray(args.keys) ? args.keys.length : 0;
      out.push({ method: shortMethodName(r.qualname), t: r.t_mono, keys, args });
    }
  }
  return out;
}

/** Complete records in a file (a live one may end mid-frame: that tail is not a record yet). */
export async function countRecords(path: string): Promise<number> {
  const reader = new TraceReader(fileStream(path), { decodeArgs: false });
  let n = 0;
  for await (const batch of reader.batches()) n += batch.length;
  return n;
}
