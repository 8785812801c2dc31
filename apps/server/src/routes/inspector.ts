import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

const NOT_BUILT = `<!doctype html>
<html><head><meta charset="utf-8"><title>kvtrace</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<h1>kvtrace server</h1>
<p>The inspector is not built. Run <code>npm run build</code> at the repository root, then restart the server
(<code>npm start</code> builds it for you).</p>
<p>The API is up: <a href="/traces">/traces</a> lists the recorded traces, <a href="/v1/stats">/v1/stats</a> shows the storage manager.</p>
</body></html>
`;

/** API prefixes: an unknown path under them is a 404, never the inspector's page. */
export const API_PREFIXES = ['/v1', '/traces'];

export function isApiPath(url: string): boolean {
  return API_PREFIXES.some((p) => url === p || url.startsWith(p + '/') || url.startsWith(p + '?'));
}

/**
 * The built inspector at `/`, as a single-page app: GET paths that are neither files nor API get
 * index.html, so `/?trace=NAME` and client-side routes load. Without a build, `/` says so.
 */
export async function inspectorRoutes(app: FastifyInstance, opts: { dist: string }): Promise<void> {
  const built = existsSync(join(opts.dist, 'index.html'));
  if (!built) {
    const page = async (_req: unknown, reply: import('fastify').FastifyReply) => reply.type('text/html; charset=utf-8').send(NOT_BUILT);
    app.get('/', page);
    app.get('/index.html', page);
    return;
  }
  await app.register(fastifyStatic, { root: opts.dist, prefix: '/', wildcard: true, index: ['index.html'], cacheControl: true, maxAge: 0 });
}

export function inspectorBuilt(dist: string): boolean {
  return existsSync(join(dist, 'index.html'));
}
