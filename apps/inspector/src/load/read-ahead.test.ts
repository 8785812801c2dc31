import { seededRandom } from '@kvtrace/trace';
import { testSeed } from '@kvtrace/trace/test-support';
import { describe, expect, it } from 'vitest';
import { readAheadStream, serveReadAhead, type FromReader, type ReaderPort, type ToReader } from './read-ahead.ts';

/**
 * The reader worker and the loading worker as two in-process ends of a channel, messages delivered
 * as tasks (as between threads). Counts what the reader has posted and the parser has taken.
 */
function channel() {
  const state = { terminated: false, posted: 0, taken: 0, mostAhead: 0 };
  const reader: { postMessage(m: FromReader): void; onmessage: ((e: { data: ToReader }) => void) | null } = {
    onmessage: null,
    postMessage(m) {
      if (state.terminated) return;
      if (m.type === 'chunk') {
        state.posted += m.chunk.byteLength;
        state.mostAhead = Math.max(state.mostAhead, state.posted - state.taken);
      }
      setTimeout(() => !state.terminated && port.onmessage?.({ data: m }), 0);
    },
  };
  const port: ReaderPort = {
    onmessage: null,
    postMessage(m) {
      if (m.type === 'take') state.taken += m.bytes;
      setTimeout(() => !state.terminated && reader.onmessage?.({ data: m }), 0);
    },
    terminate() {
      state.terminated = true;
    },
  };
  serveReadAhead(reader);
  return { port, state };
}

async function readAll(s: ReadableStream<Uint8Array>, slowly = false): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const r = s.getReader();
  for (;;) {
    const { done, value } = await r.read();
    if (done) break;
    parts.push(value);
    // A slow parser: the reader must wait for the window, not read the whole file ahead.
    if (slowly) await new Promise((res) => setTimeout(res, 1));
  }
  return Buffer.concat(parts);
}

const SEED = testSeed('read ahead');
const rand = seededRandom(SEED);
const bytes = Uint8Array.from({ length: 3_000_000 }, () => Math.floor(rand() * 256));
/** The file in parts of 16 KiB: Node's Blob streams one chunk per part, as a browser streams a file in chunks. */
const file = () => new Blob(Array.from({ length: Math.ceil(bytes.length / 16384) }, (_, i) => bytes.subarray(i * 16384, (i + 1) * 16384)));

describe('a big file read by a worker of its own (read-ahead.ts)', () => {
  it('hands on every byte in order, and never reads more than the window ahead of a slow parser', async () => {
    const { port, state } = channel();
    const got = await readAll(readAheadStream(file(), port, 256 * 1024), true);
    expect(Buffer.compare(got, bytes), `seed ${SEED}`).toBe(0);
    // The window, plus the chunk that was read when there was room for part of it.
    expect(state.mostAhead).toBeGreaterThan(0);
    expect(state.mostAhead).toBeLessThanOrEqual(256 * 1024 + 16384);
    expect(state.terminated).toBe(true);
  });

  it('a cancelled stream (a replaced or stopped load) ends the reader', async () => {
    const { port, state } = channel();
    const r = readAheadStream(file(), port, 1 << 20).getReader();
    expect((await r.read()).done).toBe(false);
    await r.cancel();
    expect(state.terminated).toBe(true);
  });

  it('a read that fails hands on what came before it, then the error', async () => {
    const { port } = channel();
    let n = 0;
    const failing = {
      size: 3,
      stream: () =>
        new ReadableStream<Uint8Array>({
          pull(c) {
            if (n++ < 2) c.enqueue(new Uint8Array([n]));
            else c.error(new Error('the file was changed on disk'));
          },
        }),
    } as unknown as Blob;
    const r = readAheadStream(failing, port).getReader();
    expect((await r.read()).value).toEqual(new Uint8Array([1]));
    expect((await r.read()).value).toEqual(new Uint8Array([2]));
    await expect(r.read()).rejects.toThrow('the file was changed on disk');
  });
});
