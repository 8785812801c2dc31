import { isIP } from 'node:net';

/** `[::1]:8080` → `::1`, `Example.COM.:80` → `example.com` (lower case, no trailing dot, no port). */
export function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  else if (h.indexOf(':') !== h.lastIndexOf(':')) return h; // a bare IPv6 address
  else h = h.replace(/:\d*$/, '');
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

const isLocalhost = (h: string): boolean => h === 'localhost' || h.endsWith('.localhost');

/**
 * DNS-rebinding defence, as Vite's dev server has it: a page on attacker.example that rebinds its
 * name to 127.0.0.1 still sends `Host: attacker.example`, so only names the operator chose are
 * served. Always allowed: IP literals (a browser sends one only for a page it loaded from that
 * address) and localhost names; plus the listen address and each `--allowed-host` (`.example.com`
 * allows the name and its subdomains). Returns null when allowed, else why it was refused.
 */
export function hostAllowlist(o: { listen: string; allowed?: readonly string[] }): (host: string | undefined) => string | null {
  const exact = new Set<string>([hostName(o.listen)]);
  const suffixes: string[] = [];
  for (const a of o.allowed ?? []) {
    const n = hostName(a);
    if (n.startsWith('.')) {
      suffixes.push(n);
      exact.add(n.slice(1));
    } else exact.add(n);
  }
  return (host) => {
    if (host === undefined || host.trim() === '') return 'the Host header is missing';
    const h = hostName(host);
    if (exact.has(h) || isIP(h) !== 0 || isLocalhost(h) || suffixes.some((s) => h.endsWith(s))) return null;
    return `Host ${JSON.stringify(host)} is not served here (DNS-rebinding defence): allow it with --allowed-host ${h}`;
  };
}
