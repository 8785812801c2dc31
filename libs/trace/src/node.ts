/** libs/trace, Node-only entry: files. */
import { open, type FileHandle } from 'node:fs/promises';

export { FileSink } from './record/file-sink.ts';
export { setupTracing, type SetupOptions, type TracingSession } from './record/setup.ts';

/** Reads in flight ahead of the consumer, so the next read overlaps the parse of the last. */
const READ_AHEAD = 2;

/**
 * A file as a web ReadableStream<Uint8Array>, the type TraceReader takes: bytes [start, end]
 * (end inclusive, as fs.createReadStream) in chunks of `highWaterMark` bytes. Read straight from a
 * FileHandle into a fresh buffer per read (a reader may keep views of it): the Node-stream to
 * web-stream adapter (Readable.toWeb) cost about as much CPU as parsing the bytes did.
 * `readBytes` (default: `highWaterMark`) reads more per read and hands it on as views of
 * `highWaterMark` bytes: a parser may prefer small chunks (cache), a cold disk wants big reads
 * queued ahead (the CLI's 64 KiB reads left the disk idle half the time). A view kept by the reader
 * keeps its whole read alive.
 */
export function fileStream(path: string, options: { start?: number; end?: number; highWaterMark?: number; readBytes?: number } = {}): ReadableStream<Uint8Array> {
  const chunk = options.highWaterMark ?? 1 << 20;
  const io = Math.max(chunk, options.readBytes ?? chunk);
  const stop = options.end === undefined ? Infinity : options.end + 1;
  let pos = options.start ?? 0;
  let fh: FileHandle | null = null;
  const close = async () => {
    const f = fh;
    fh = null;
    await f?.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          fh ??= await open(path, 'r');
          const want = Math.min(io, stop - pos);
          const buf = new Uint8Array(Math.max(want, 0));
          const { bytesRead } = want > 0 ? await fh.read(buf, 0, want, pos) : { bytesRead: 0 };
          if (bytesRead === 0) {
            await close();
            controller.close();
            return;
          }
          pos += bytesRead;
          for (let at = 0; at < bytesRead; at += chunk) controller.enqueue(buf.subarray(at, Math.min(at + chunk, bytesRead)));
        } catch (e) {
          await close().catch(() => undefined);
          throw e;
        }
      },
      cancel: close,
    },
    { highWaterMark: READ_AHEAD * Math.ceil(io / chunk) },
  );
}
