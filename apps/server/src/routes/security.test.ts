import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hostAllowlist, hostName } from '../services/host-allowlist.ts';
import { build, tempDir, type Built } from '../test-support.ts';
import { inlineScriptHashes } from './security.ts';

const opened: Built[] = [];
afterEach(async () => {
  for (const b of opened.splice(0)) await b.close();
});

const THEME = "\n      try { document.documentElement.dataset.theme = 'dark'; } catch (e) {}\n    ";
const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

async function withInspector(hosts?: { listen: string; allowed?: string[] }) {
  const d = tempDir();
  const dist = join(d.path, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), `<!doctype html><html><head><script>${THEME}</script><script type="module" src="/assets/a.js"></script></head><body></body></html>`);
  writeFileSync(join(dist, 'assets', 'a.js'), 'export {}');
  const b = await build({ app: { inspectorDist: dist, ...(hosts ? { hosts } : {}) } });
  opened.push({ ...b, close: async () => (await b.close(), d.remove()) });
  return b.app;
}

describe('security headers', () => {
  it('the inspector, the API and errors all carry CSP, nosniff, Referrer-Policy and frame denial', async () => {
    const a = await withInspector();
    for (const url of ['/', '/assets/a.js', '/v1/stats', '/v1/nope', '/traces/missing.lct', '/?trace=x.lct']) {
      const r = await a.inject({ method: 'GET', url });
      const csp = String(r.headers['content-security-policy']);
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain(`script-src 'self' ${sha(THEME)}`);
      expect(csp, url).not.toContain('unsafe-inline');
      expect(csp, url).not.toContain('upgrade-insecure-requests');
      expect(r.headers['x-content-type-options'], url).toBe('nosniff');
      expect(r.headers['referrer-policy'], url).toBe('no-referrer');
      expect(r.headers['x-frame-options'], url).toBe('DENY');
      expect(r.headers['strict-transport-security'], url).toBeUndefined();
    }
  });

  it('hashes exactly the inline scripts, not those loaded from files', () => {
    expect(inlineScriptHashes(`<script>a()</script><script src="/x.js"></script><SCRIPT type="text/javascript">b()</SCRIPT>`)).toEqual([sha('a()'), sha('b()')]);
    expect(inlineScriptHashes('<p>no scripts</p>')).toEqual([]);
  });
});

describe('Host allowlist (DNS rebinding)', () => {
  it('answers the listen address, IP literals, localhost names and --allowed-host names; 403 for others, naming the flag', async () => {
    const a = await withInspector({ listen: '0.0.0.0', allowed: ['kv.example.com', '.corp.example'] });
    const status = async (host: string) => (await a.inject({ method: 'GET', url: '/v1/stats', headers: { host } })).statusCode;
    for (const ok of ['0.0.0.0:8080', '127.0.0.1:8080', '10.1.2.3', '[::1]:8080', 'localhost:8080', 'app.localhost', 'KV.example.com:80', 'kv.example.com.', 'a.corp.example', 'corp.example'])
      expect(await status(ok), ok).toBe(200);
    for (const bad of ['evil.example', 'kv.example.com.evil.example', 'xcorp.example', 'localhost.evil.example']) expect(await status(bad), bad).toBe(403);
    const r = await a.inject({ method: 'GET', url: '/', headers: { host: 'evil.example:8080' } });
    expect(r.json().message).toMatch(/Host "evil.example:8080" is not served here \(DNS-rebinding defence\): allow it with --allowed-host evil.example/);
  });

  it('host names: ports, brackets, case and a trailing dot do not matter', () => {
    expect(['[::1]:80', 'Example.COM.:8080', 'a.b', '::1'].map(hostName)).toEqual(['::1', 'example.com', 'a.b', '::1']);
    const check = hostAllowlist({ listen: 'kvtrace.lan' });
    expect(check('kvtrace.lan:8080')).toBeNull();
    expect(check(undefined)).toMatch(/missing/);
    expect(check('other.lan')).toMatch(/--allowed-host other.lan/);
  });
});
