import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import type { OpenedTrace, TraceDirectory } from '../services/trace-directory.ts';
import { ifRangeMatches, parseRange } from './range.ts';

/** How often a follow stream looks for new frames of a live recording (the recorder flushes every 50 ms). */
const FOLLOW_POLL_MS = 100;
const CHUNK = 1 << 20;

/**
 * `/traces`: list the traces directory, download one trace (Range, If-Range, live prefix), follow
 * a live one. Names are checked by the TraceDirectory service; this plugin only speaks HTTP.
 */
export async function tracesRoutes(app: FastifyInstance): Promise<void> {
  const dir = app.traces;

  app.get('/', async () => dir.list());

  app.get<{ Params: { name: string }; Querystring: { follow?: string } }>(
    '/:name',
    {
      schema: {
        params: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 1024 } } },
        querystring: { type: 'object', properties: { follow: { type: 'string', enum: ['', '0', '1', 'true', 'false'] } } },
      },
    },
    async (req, reply) => {
      const t = await dir.open(req.params.name);
      const follow = req.query.follow === '1' || req.query.follow === 'true' || req.query.follow === '';
      const filename = encodeURIComponent(t.name);
      reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${t.name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${filename}`)
        .header('last-modified', t.mtime.toUTCString())
        .header('cache-control', 'no-store')
        .header('x-kvtrace-recording', t.live ? '1' : '0');
      if (follow) {
        // Chunked: the length is not known until the recording closes. Not `connection: close`:
        // then a cut connection is a clean end to some clients (Node's fetch), and a follower cut
        // short must see an error, never a whole-looking file. The close ends the idle socket.
        const signal = AbortSignal.any([dir.closing.signal, abortOnClose(reply.raw)]);
        return reply.send(Readable.from(followFrames(dir, t, signal)));
      }
      reply.header('accept-ranges', 'bytes').header('etag', t.etag);
      // RFC 9110 13.1.5: a Range whose If-Range validator no longer matches gets the whole file.
      const ifRange = req.headers['if-range'];
      const rangeHolds = ifRange === undefined || (typeof ifRange === 'string' && ifRangeMatches(ifRange, t.etag, t.mtime));
      const range = rangeHolds ? parseRange(req.headers.range, t.size) : null;
      if (range === 'unsatisfiable') {
        await t.handle.close();
        return reply.code(416).type('application/json').header('content-range', `bytes */${t.size}`).send({ error: 'Range Not Satisfiable', message: `the trace has ${t.size} bytes` });
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? t.size - 1;
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${t.size}`);
      reply.header('content-length', String(end - start + 1));
      if (end < start) {
        await t.handle.close();
        return reply.send(Buffer.alloc(0));
      }
      return reply.send(t.handle.createReadStream({ start, end, autoClose: true }));
    },
  );
}

function abortOnClose(raw: NodeJS.EventEmitter): AbortSignal {
  const c = new AbortController();
  raw.once('close', () => c.abort());
  return c.signal;
}

/**
 * The file so far, then each newly committed stretch of frames, until this file stops being
 * recorded (the recording closed, or rotated to its next segment), the server shuts down or the
 * client goes away. Only committed bytes are read, so every chunk ends on a frame boundary.
 */
async function* followFrames(dir: TraceDirectory, t: OpenedTrace, signal: AbortSignal): AsyncGenerator<Buffer> {
  let pos = 0;
  try {
    for (;;) {
      const live = t.live !== null && dir.isLive(t.path);
      const last = !live || signal.aborted;
      // Once this file is no longer the one being written it is complete: read to its end.
      const limit = live ? t.live!.committedBytes() : (await t.handle.stat()).size;
      while (pos < limit) {
        const buf = Buffer.alloc(Math.min(CHUNK, limit - pos));
        const { bytesRead } = await t.handle.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
      }
      if (last) return;
      await sleep(FOLLOW_POLL_MS, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    await t.handle.close();
  }
}
