import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeRecording } from '@kvtrace/trace';
import { cutAt, fixtureBytes, LMCACHE_FIXTURES, malformedRecordBody, manifest, testSeed, TraceBuilder, unknownTag, writeTraffic } from '@kvtrace/trace/test-support';
import { expandTraceInputs } from './inputs.ts';
import { summarizeFileInParts } from './parallel-summary.ts';
import { summarizeSet } from './summarize.ts';
import { openTraceSet } from './trace-set.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-parts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The one-reader summary of a file: what the parts must add up to. */
async function serial(path: string) {
  const { sets } = await expandTraceInputs([path], { keepGoing: true });
  return summarizeRecording(openTraceSet(sets[0]!, { checkArgs: true }), path);
}

const SEED = testSeed('parallel summary');

/**
 * A seeded trace with every kind of damage a part boundary could get wrong: records of traffic,
 * frames that are not records, a record with a tag no codec knows, frames bigger than a part and
 * one bigger than a block's room for a carried frame start, and a tail cut inside a frame.
 */
function damaged(): Uint8Array {
  const b = TraceBuilder.memory();
  writeTraffic(b, { seed: SEED, records: 150 });
  b.frame(malformedRecordBody('not-a-map'));
  b.record('lmcache.v1.distributed.storage_manager.StorageManager.finish_write', 1, ['keys'], [[unknownTag('kvtrace.test_future', 1)]]);
  writeTraffic(b, { seed: SEED + 1, records: 100, keysPerCall: [60, 90] });
  b.frame(malformedRecordBody('wrong-types'));
  writeTraffic(b, { seed: SEED + 2, records: 150 });
  // A frame of 1.5 MB (zeros: not a record), longer than the room a block keeps for a carried frame start.
  b.frame(new Uint8Array(1_500_000));
  writeTraffic(b, { seed: SEED + 3, records: 50 });
  const bytes = b.bytes();
  return cutAt(bytes, bytes.length - 7);
}

describe('a file summarised in parts on worker threads (kvtrace info on big files)', () => {
  it('equals the one-reader summary: seeded damage, parts far smaller than a frame, 2 and 3 threads', async () => {
    const path = join(dir, 'damaged.lct');
    writeFileSync(path, damaged());
    const want = await serial(path);
    expect(want.malformed).toBe(3);
    expect(want.arg_decode_errors).toBe(1);
    expect(want.truncated).not.toBeNull();
    for (const [threads, partBytes] of [
      [2, 1000],
      [3, 300],
      [2, 64 << 10],
    ] as const) {
      let lastBytes = 0;
      const got = await summarizeFileInParts(path, { threads, partBytes, onBytes: (n) => (lastBytes = n) });
      expect(got, `${threads} threads, ${partBytes} B parts, seed ${SEED}`).toEqual(want);
      expect(lastBytes).toBeGreaterThan(0);
    }
  });

  it("a length that runs past the file's end is the truncated tail the one reader reports, read no further", async () => {
    const bytes = damaged().slice();
    // A damaged length near the start: every frame after it is part of the claimed frame.
    const at = 4 + new DataView(bytes.buffer).getUint32(0) + 4 + new DataView(bytes.buffer).getUint32(4 + new DataView(bytes.buffer).getUint32(0));
    new DataView(bytes.buffer).setUint32(at, 0x7fff_fff0);
    const path = join(dir, 'bad-length.lct');
    writeFileSync(path, bytes);
    const want = await serial(path);
    expect(want.truncated).toEqual({ offset: at, claimed: 0x7fff_fff0, available: bytes.length - at - 4 });
    expect(await summarizeFileInParts(path, { threads: 2, partBytes: 4096 })).toEqual(want);
  });

  it("LMCache's fixtures: the same summary; a bad header is left to the one reader (null)", async () => {
    for (const file of Object.keys(manifest())) {
      const path = LMCACHE_FIXTURES + file;
      const want = await serial(path);
      const got = await summarizeFileInParts(path, { threads: 2, partBytes: 512 });
      if (want.ok) expect(got, file).toEqual(want);
      else expect(got, file).toBeNull();
    }
  });

  it('a worker that fails fails the read in parts; kvtrace info then reads the file with one reader', async () => {
    const path = join(dir, 'fallback.lct');
    writeFileSync(path, fixtureBytes('malformed-middle.lct'));
    const failing = () => new Worker('throw new Error("this worker cannot start")', { eval: true });
    await expect(summarizeFileInParts(path, { threads: 2, startWorker: failing })).rejects.toThrow(/a worker failed: this worker cannot start/);
    const { sets } = await expandTraceInputs([path], { keepGoing: true });
    expect(await summarizeSet(sets[0]!, undefined, 2, { startWorker: failing })).toEqual(await summarizeSet(sets[0]!, undefined, 1));
  });

  it('summarizeSet on several threads reports what it reports on one', async () => {
    const path = join(dir, 'set.lct');
    writeFileSync(path, fixtureBytes('malformed-middle.lct'));
    const { sets } = await expandTraceInputs([path], { keepGoing: true });
    expect(await summarizeSet(sets[0]!, undefined, 2)).toEqual(await summarizeSet(sets[0]!, undefined, 1));
  });
});
