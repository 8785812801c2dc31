/** libs/trace, Node-only entry: files. */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';

export { FileSink, type FileSinkOptions, type PositionalWrite } from './record/file-sink.ts';
export { setupTracing, type SetupOptions, type TracingSession } from './record/setup.ts';

/** A file as a web ReadableStream<Uint8Array>, the type TraceReader takes. */
export function fileStream(path: string, options: { start?: number; end?: number; highWaterMark?: number } = {}): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20, start: options.start, end: options.end })) as ReadableStream<Uint8Array>;
}
