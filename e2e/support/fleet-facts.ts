/**
 * What a set of traces holds, read in Node from the files with libs/trace's plain TraceReader and
 * lined up here by sorting on each call's wall time (its trace's `t_wall_start` + `t_mono`, ties to
 * the earlier server): an order computed apart from the inspector's merge, for the specs to check.
 */
import { ObjectKey, shortMethodName, TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';

export interface FleetCall {
  server: string;
  method: string;
  /** Unix seconds. */
  t: number;
  hashes: string[];
  erid: string;
}

/** `traces`: each server's files in segment order (the segments here share one clock start). */
export async function fleetCalls(traces: readonly { server: string; paths: readonly string[] }[]): Promise<FleetCall[]> {
  const all: (FleetCall & { order: number; seq: number })[] = [];
  for (const [order, t] of traces.entries()) {
    let seq = 0;
    let first: { mono: number; wall: number } | null = null;
    for (const path of t.paths) {
      const reader = new TraceReader(fileStream(path), { decodeArgs: false });
      const header = await reader.header();
      first ??= { mono: header.t_mono_start, wall: header.t_wall_start };
      // A later segment's clock may start later: back onto the first segment's.
      const shift = header.t_mono_start - first.mono;
      for await (const batch of reader.batches()) {
        for (const r of batch) {
          const args = r.decodeArgs();
          const keys = Array.isArray(args.keys) ? (args.keys as unknown[]).filter((k): k is ObjectKey => k instanceof ObjectKey) : [];
          all.push({
            server: t.server,
            method: shortMethodName(r.qualname),
            t: first.wall + (shift === 0 ? r.t_mono : r.t_mono + shift),
            hashes: keys.map((k) => k.hashHex),
            erid: typeof args.external_request_id === 'string' ? args.external_request_id : '',
            order,
            seq: seq++,
          });
        }
      }
    }
  }
  all.sort((a, b) => a.t - b.t || a.order - b.order || a.seq - b.seq);
  return all.map(({ server, method, t, hashes, erid }) => ({ server, method, t, hashes, erid }));
}
