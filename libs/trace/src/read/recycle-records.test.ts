import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LMCACHE_FIXTURES, chunkedStream, fixtureBytes } from '../test-support/fixtures.ts';
import type { TraceRecord } from '../model.ts';
import { TraceParser } from './trace-parser.ts';
import { TraceReader } from './trace-reader.ts';

/** What a consumer that copies each record at once sees of it (the fields, the arguments decoded). */
const copy = (r: TraceRecord) => ({ index: r.index, offset: r.offset, frameBytes: r.frameBytes, t_mono: r.t_mono, t_wall: r.t_wall, qualname: r.qualname, args: JSON.stringify(r.args(), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) });

async function readCopies(bytes: Uint8Array, sizes: number[], recycleRecords: boolean) {
  const reader = new TraceReader(chunkedStream(bytes, sizes), { recycleRecords });
  await reader.header();
  const out: ReturnType<typeof copy>[] = [];
  const objects = new Set<TraceRecord>();
  let seen = 0;
  for await (const batch of reader.batches()) {
    for (const r of batch) {
      out.push(copy(r));
      objects.add(r);
      seen++;
    }
  }
  return { out, objects: objects.size, seen, report: reader.report };
}

describe('recycleRecords', () => {
  const files = readdirSync(LMCACHE_FIXTURES).filter((f) => f.endsWith('.lct') && !f.startsWith('bad') && f !== 'empty.lct');
  for (const file of files) {
    it(`${file}: a consumer that copies each batch sees what fresh records hold, from fewer objects`, async () => {
      const bytes = fixtureBytes(file);
      for (const sizes of [[97], [4096], [1, 13, 700]]) {
        const fresh = await readCopies(bytes, sizes, false);
        const recycled = await readCopies(bytes, sizes, true);
        expect(recycled.out).toEqual(fresh.out);
        expect(recycled.report).toEqual(fresh.report);
        // Chunks of 97 bytes complete a record or none: records are reused from the third chunk on.
        if (sizes[0] === 97 && fresh.seen > 10) expect(recycled.objects).toBeLessThan(fresh.seen);
      }
    });
  }

  it('TraceReader.batches: a batch is unchanged until the consumer asks for the batch after the next, however the chunks fall', async () => {
    const bytes = fixtureBytes('workload-small.lct');
    // Chunks of 1 to 13 bytes: most pushes complete no record, and batches() pumps again at once.
    for (const sizes of [[1, 13, 5], [700], [3, 2000]]) {
      const reader = new TraceReader(chunkedStream(bytes, sizes), { recycleRecords: true });
      await reader.header();
      const key = (r: TraceRecord) => `${r.index}@${r.offset}+${r.frameBytes} ${r.qualname} ${r.t_mono}`;
      let prev: { batch: TraceRecord[]; seen: string[] } | null = null;
      let records = 0;
      for await (const batch of reader.batches()) {
        // The batch before this one is still as it was when it came.
        if (prev) expect(prev.batch.map(key)).toEqual(prev.seen);
        prev = { batch, seen: batch.map(key) };
        records += batch.length;
      }
      expect(records).toBe(reader.report.records);
    }
  });

  it('a record is refilled only by the second push after it that has records', () => {
    const bytes = fixtureBytes('workload-small.lct');
    const p = new TraceParser({ recycleRecords: true });
    const batches: TraceRecord[][] = [];
    const snapshots: string[][] = [];
    for (let at = 0; at < bytes.length; at += 600) {
      const recs = p.push(bytes.subarray(at, Math.min(bytes.length, at + 600)));
      batches.push(recs);
      snapshots.push(recs.map((r) => `${r.index}@${r.offset}`));
      // The batch before this one is untouched by this push.
      const prev = batches.length >= 2 ? batches[batches.length - 2]! : [];
      expect(prev.map((r) => `${r.index}@${r.offset}`)).toEqual(snapshots[batches.length - 2] ?? []);
    }
    const all = batches.flat();
    expect(new Set(all).size).toBeLessThan(all.length);
  });
});
