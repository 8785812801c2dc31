/**
 * A small stand-in for apps/server, used by the bench (and by the e2e suite while apps/server was not
 * there yet): serves the built inspector with an SPA fallback, `GET /traces` and `GET /traces/:name`
 * with `Range` (206), the two routes the inspector uses, following apps/server's contract.
 */
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

export interface StaticServerOptions {
  dist: string;
  tracesDir: string;
  host?: string;
  port?: number;
}

export function startStaticServer(o: StaticServerOptions): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    if (path === '/traces' || path === '/traces/') {
      const traces = existsSync(o.tracesDir)
        ? readdirSync(o.tracesDir)
            .filter((f) => f.endsWith('.lct'))
            .sort()
            .map((name) => {
              const st = statSync(join(o.tracesDir, name));
              return { name, size: st.size, mtime: st.mtime.toISOString(), recording: false, header: null, error: null };
            })
        : [];
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ traces }));
      return;
    }
    if (path.startsWith('/traces/')) {
      const name = path.slice('/traces/'.length);
      const file = join(o.tracesDir, name);
      if (name.includes('/') || name.includes('..') || !existsSync(file)) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `no trace named ${name}` }));
        return;
      }
      const size = statSync(file).size;
      const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
      if (m) {
        const start = Number(m[1]);
        const end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
        if (start >= size || end < start) {
          res.writeHead(416, { 'content-range': `bytes */${size}` });
          res.end();
          return;
        }
        res.writeHead(206, { 'content-type': 'application/octet-stream', 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${size}`, 'accept-ranges': 'bytes' });
        createReadStream(file, { start, end }).pipe(res);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size, 'accept-ranges': 'bytes' });
      if (size === 0) res.end();
      else createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
      return;
    }
    let file = normalize(join(o.dist, path));
    if (!file.startsWith(normalize(o.dist)) || !existsSync(file) || statSync(file).isDirectory()) file = join(o.dist, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      resolve({ server, url: `http://${o.host ?? '127.0.0.1'}:${port}` });
    });
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const arg = (k: string, d: string) => {
    const i = process.argv.indexOf(`--${k}`);
    return i >= 0 ? (process.argv[i + 1] ?? d) : d;
  };
  const { url } = await startStaticServer({ dist: arg('dist', 'apps/inspector/dist'), tracesDir: arg('traces-dir', 'traces'), host: arg('host', '127.0.0.1'), port: Number(arg('port', '0')) });
  console.log(`listening on ${url}`);
}
