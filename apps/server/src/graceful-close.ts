import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from './errors.ts';

/** Bounds of a close, ms. */
export interface CloseBounds {
  /** How long API calls in flight may take to finish before their connections are cut and the recording closes anyway. */
  calls: number;
  /**
   * How long the responses still open once the recording is closed (trace downloads, follow
   * streams reading the file's last frames) may take before their connections are cut. A follower
   * reads at the pace of its client: a browser parsing a busy recording can be seconds behind.
   */
  responses: number;
}

export const DEFAULT_CLOSE_BOUNDS: CloseBounds = { calls: 10_000, responses: 30_000 };

/**
 * Closing, in the order that loses no call:
 * 1. refuse new /v1 calls (503) and let the ones in flight finish (bounded: a call stuck in the
 *    storage manager must not keep the server from stopping; then its connection is cut);
 * 2. close the recording (every traced call is then in the file);
 * 3. end the follow streams, which read the file to its end first, and give every response still
 *    open (followers, downloads) `responses` ms to finish before cutting it.
 * Responses sent while closing close their connection, or an idle keep-alive socket would hold
 * close() for its timeout. `closeRecording` is step 2; `endFollows` starts step 3.
 */
export function installGracefulClose(app: FastifyInstance, o: { bounds: CloseBounds; closeRecording: () => void; endFollows: () => void; notice: (m: string) => void }): void {
  let closing = false;
  const calls = new Set<FastifyRequest>();
  const responses = new Set<FastifyRequest>();
  let drained: (() => void) | null = null;
  let cut: NodeJS.Timeout | undefined;
  const done = (req: FastifyRequest) => {
    responses.delete(req);
    if (calls.delete(req) && calls.size === 0) drained?.();
  };
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/v1/')) {
      responses.add(req);
      return;
    }
    if (closing) throw new HttpError(503, 'the server is shutting down');
    calls.add(req);
  });
  app.addHook('onResponse', async (req) => {
    done(req);
    // A response that began before the close (a download, a follower) was sent keep-alive: once it
    // is whole its idle socket would hold the close until the keep-alive timeout.
    if (closing) req.raw.socket?.end();
  });
  app.addHook('onRequestAbort', async (req) => done(req));
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('preClose', async () => {
    closing = true;
    if (calls.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const inTime = await new Promise<boolean>((r) => {
        drained = () => r(true);
        timer = setTimeout(() => r(false), o.bounds.calls);
      });
      clearTimeout(timer);
      if (!inTime) {
        o.notice(`closing: ${calls.size} API call(s) still running after ${o.bounds.calls / 1000} s; their connections are cut`);
        for (const req of calls) req.raw.socket.destroy();
      }
    }
    o.closeRecording();
    o.endFollows();
    if (responses.size === 0) return;
    // Fastify's close waits for these; a stalled client must not hold it for ever.
    const seconds = o.bounds.responses / 1000;
    o.notice(`closing: waiting for ${downloads(responses.size)} to finish (${seconds} s at most)`);
    cut = setTimeout(() => {
      if (responses.size > 0) o.notice(`closing: ${downloads(responses.size)} still unfinished after ${seconds} s; cut`);
      app.server.closeAllConnections();
    }, o.bounds.responses);
    cut.unref();
  });
  app.addHook('onClose', async () => clearTimeout(cut));
}

/** Responses other than API calls: trace downloads and follow streams, in a user's words. */
const downloads = (n: number) => (n === 1 ? '1 download' : `${n} downloads`);
