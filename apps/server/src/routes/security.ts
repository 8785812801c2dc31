import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * sha256 sources of the inline scripts of the built inspector's index.html (its theme script runs
 * before first paint): allowed one by one, so no other inline script ever runs ('unsafe-inline'
 * is never granted). None once the inspector moves that script to a file.
 */
export function inlineScriptHashes(indexHtml: string): string[] {
  const out: string[] = [];
  for (const m of indexHtml.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? '')) continue;
    out.push(`'sha256-${createHash('sha256').update(m[2] ?? '', 'utf8').digest('base64')}'`);
  }
  return out;
}

/**
 * Security headers on every answer, through helmet: a Content-Security-Policy for the inspector
 * (scripts and workers from this server only, no framing), Referrer-Policy no-referrer,
 * X-Content-Type-Options nosniff, X-Frame-Options DENY. connect-src also allows http(s) origins
 * because the inspector opens traces from other servers by URL (`?url=`). No HSTS and no
 * upgrade-insecure-requests: the server speaks plain HTTP.
 */
export function helmetOptions(dist: string): FastifyHelmetOptions {
  const index = join(dist, 'index.html');
  const hashes = existsSync(index) ? inlineScriptHashes(readFileSync(index, 'utf8')) : [];
  return {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'", ...hashes],
        'style-src': ["'self'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'", 'http:', 'https:'],
        'worker-src': ["'self'"],
        'object-src': ["'none'"],
        'base-uri': ["'self'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
    strictTransportSecurity: false,
  };
}
