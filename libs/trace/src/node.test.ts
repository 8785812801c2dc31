import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStream } from './node.ts';
import { seededRandom } from './util/random.ts';
import { testSeed } from './test-support/seed.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-filestream-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SEED = testSeed('fileStream ranges');
const rand = seededRandom(SEED);
const data = new Uint8Array(100_007);
for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
const path = join(dir, 'data.bin');
writeFileSync(path, data);

async function collect(s: ReadableStream<Uint8Array>): Promise<{ bytes: Uint8Array; chunks: number[] }> {
  const parts: Uint8Array[] = [];
  const reader = s.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    bytes.set(p, o);
    o += p.length;
  }
  return { bytes, chunks: parts.map((p) => p.length) };
}

describe('fileStream (the CLI reads every trace through it)', () => {
  it('reads the whole file in chunks of highWaterMark bytes', async () => {
    const { bytes, chunks } = await collect(fileStream(path, { highWaterMark: 65536 }));
    expect(bytes).toEqual(data);
    expect(chunks.slice(0, -1).every((n) => n === 65536)).toBe(true);
    expect(chunks.at(-1)).toBe(data.length % 65536);
  });

  it('start and an inclusive end, as fs.createReadStream (seeded ranges)', async () => {
    for (let i = 0; i < 12; i++) {
      const start = Math.floor(rand() * data.length);
      const end = start + Math.floor(rand() * (data.length - start));
      const { bytes } = await collect(fileStream(path, { start, end, highWaterMark: 512 + Math.floor(rand() * 9000) }));
      expect(bytes, `start ${start}, end ${end}, seed ${SEED}`).toEqual(data.subarray(start, end + 1));
    }
    expect((await collect(fileStream(path, { end: 0 }))).bytes).toEqual(data.subarray(0, 1));
    expect((await collect(fileStream(path, { start: data.length }))).bytes).toHaveLength(0);
  });

  it('readBytes reads more per read and hands it on in highWaterMark views, ranges kept (seeded)', async () => {
    const { bytes, chunks } = await collect(fileStream(path, { highWaterMark: 4096, readBytes: 30_000 }));
    expect(bytes).toEqual(data);
    // Each read of 30,000 bytes is 7 views of 4096 and one of 1,328; the last read is what is left.
    expect(chunks.slice(0, 8)).toEqual([4096, 4096, 4096, 4096, 4096, 4096, 4096, 30_000 - 7 * 4096]);
    expect(chunks.every((n) => n <= 4096)).toBe(true);
    for (let i = 0; i < 12; i++) {
      const start = Math.floor(rand() * data.length);
      const end = start + Math.floor(rand() * (data.length - start));
      const hw = 512 + Math.floor(rand() * 9000);
      const got = await collect(fileStream(path, { start, end, highWaterMark: hw, readBytes: hw * (1 + Math.floor(rand() * 8)) }));
      expect(got.bytes, `start ${start}, end ${end}, seed ${SEED}`).toEqual(data.subarray(start, end + 1));
    }
  });

  it('chunks are not reused: a chunk read earlier keeps its bytes', async () => {
    const reader = fileStream(path, { highWaterMark: 1000 }).getReader();
    const first = (await reader.read()).value!;
    const copy = first.slice();
    for (let i = 0; i < 10; i++) await reader.read();
    expect(first).toEqual(copy);
    await reader.cancel();
  });

  it('a missing file errors the stream with the open error', async () => {
    await expect(collect(fileStream(join(dir, 'missing.lct')))).rejects.toThrow(/ENOENT/);
  });
});
