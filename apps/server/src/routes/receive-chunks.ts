import type { IncomingMessage } from 'node:http';
import { HttpError } from '../errors.ts';
import { ByteChunks } from '../protocol/byte-chunks.ts';

/**
 * The body of a framed (octet-stream) request as the chunks the socket delivered, not joined (see
 * ByteChunks), refused with 413 beyond `limit` bytes: up front when Content-Length says so, else as
 * soon as that many bytes arrived (the rest is never buffered).
 */
export function receiveChunks(contentLength: string | undefined, stream: IncomingMessage, limit: number, done: (err: Error | null, body?: ByteChunks) => void): void {
  const tooLarge = (n: number) => new HttpError(413, `the body is ${n} bytes or more, over the ${limit}-byte limit (--body-limit-mb)`);
  const declared = contentLength === undefined ? NaN : Number(contentLength);
  if (declared > limit) {
    stream.resume();
    return done(tooLarge(declared));
  }
  const chunks: Uint8Array[] = [];
  let received = 0;
  let finished = false;
  const finish = (err: Error | null, body?: ByteChunks) => {
    if (finished) return;
    finished = true;
    stream.off('data', onData);
    done(err, body);
  };
  const onData = (c: Buffer) => {
    received += c.length;
    if (received > limit) {
      stream.resume();
      return finish(tooLarge(received));
    }
    chunks.push(c);
  };
  stream.on('data', onData);
  stream.once('end', () => finish(null, new ByteChunks(chunks)));
  stream.once('error', (e) => finish(e));
}
