/** The server's command-line flags: parsing and validation (tested without starting a process). */
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_EVENT_QUEUE_SIZE, defaultTraceFileName, KNOWN_LEVELS } from '@kvtrace/trace';
import { STORAGE_FLAGS, storageConfigFromFlags, type StorageConfig } from './storage/index.ts';

export const HELP = `usage: npx tsx apps/server/src/server.ts [options]   (or: npm start -- [options])

  --host HOST                  listen address (default 127.0.0.1)
  --allowed-host NAME          also answer requests whose Host header is NAME (repeatable, or comma-separated;
                               .example.com allows its subdomains too). Always answered: the listen address,
                               IP addresses and localhost names; others get 403 (DNS-rebinding defence)
  --port N                     port (default 8080; 0 picks a free one)
  --l1-size-gb X               L1 capacity in GiB (default 0.1)
  --eviction-policy P          LRU or FIFO (default LRU)
  --l2-dir DIR                 parent directory of the on-disk L2 ('' or none: no L2; default <tmpdir>/kvtrace-l2)
  --l2-size-gb X               L2 capacity in GiB (default 4)
  --l2-workers N               concurrent L2 file operations (default 4)
  --l2-max-pending-mb X        bytes waiting for L2 before pushes are skipped (default 256)
  --trace-level LEVEL          record the storage manager's calls: 'storage' (default: tracing off)
  --trace-output PATH          trace file (default lmcache-trace-<pid>-<UTC time>.lct in --traces-dir;
                               a bare file name also goes into --traces-dir)
  --traces-dir DIR             directory served at /traces (default ./traces); a --trace-output elsewhere
                               is listed there too
  --trace-max-mb X             rotate the trace before a file passes X MiB: NAME.lct, then NAME.000001.lct, ...
                               each a whole trace with its own header (default: one file)
  --event-bus-queue-size N     events buffered between calls and the recorder (default ${DEFAULT_EVENT_QUEUE_SIZE}); more are dropped and counted
  --body-limit-mb X            largest KV body accepted (default 256)
  --demo                       turn tracing on and run the demo workload against this server
  --demo-requests N            requests of the demo workload (default 300)
  --demo-concurrency N         concurrency of the demo workload (default 4)
  -h, --help                   this text`;

export interface ServerFlags {
  host: string;
  port: number;
  storage: StorageConfig;
  traceLevel: string | null;
  traceOutput: string | null;
  tracesDir: string;
  /** Rotate the trace before a file passes this many bytes; null: one file. */
  traceMaxBytes: number | null;
  /** Host header names answered besides the listen address, IP literals and localhost. */
  allowedHosts: string[];
  queueSize: number;
  bodyLimit: number;
  demo: { requests: number; concurrency: number } | null;
}

/**
 * `--l1-size-gb -1` as `--l1-size-gb=-1`: node's parseArgs refuses a value that starts with a dash
 * ("argument is ambiguous"), which hides the real answer (the value must be > 0) behind a riddle.
 */
function joinNegativeValues(argv: string[], stringFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && stringFlags.has(a.slice(2)) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parses and validates the flags; throws an Error whose message names the bad flag. */
export function parseServerFlags(argv: string[]): ServerFlags | 'help' {
  const storageOpts = Object.fromEntries(STORAGE_FLAGS.map((f) => [f, { type: 'string' as const }]));
  const options = {
    ...storageOpts,
    host: { type: 'string' },
    'allowed-host': { type: 'string', multiple: true },
    port: { type: 'string' },
    'trace-level': { type: 'string' },
    'trace-output': { type: 'string' },
    'traces-dir': { type: 'string' },
    'trace-max-mb': { type: 'string' },
    'event-bus-queue-size': { type: 'string' },
    'body-limit-mb': { type: 'string' },
    demo: { type: 'boolean' },
    'demo-requests': { type: 'string' },
    'demo-concurrency': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const stringFlags = new Set(Object.entries(options).filter(([, o]) => o.type === 'string').map(([k]) => k));
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(argv, stringFlags),
    allowPositionals: true,
    strict: true,
    options,
  });
  if (values.help) return 'help';
  if (positionals.length > 0) throw new Error(`unexpected argument ${JSON.stringify(positionals[0])} (flags start with --)`);
  const v = values as Record<string, string | boolean | string[] | undefined>;
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (typeof raw !== 'string' || raw.trim() === '' || !Number.isInteger(n) || n < min || n > max)
      throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return n;
  };
  const storage = storageConfigFromFlags(v as Record<string, string | boolean | undefined>);
  const demo = v.demo === true;
  let traceLevel = typeof v['trace-level'] === 'string' ? (v['trace-level'] as string) : null;
  if (traceLevel !== null && !KNOWN_LEVELS.includes(traceLevel) && traceLevel !== 'off')
    throw new Error(`--trace-level ${JSON.stringify(traceLevel)} is not a trace level this server records (known: ${KNOWN_LEVELS.join(', ')}, or off)`);
  if (traceLevel === 'off') traceLevel = null;
  if (demo && traceLevel === null && v['trace-level'] === undefined) traceLevel = 'storage';
  const limitMb = v['body-limit-mb'];
  const bodyLimitMb = limitMb === undefined ? 256 : Number(limitMb);
  if (!Number.isFinite(bodyLimitMb) || bodyLimitMb <= 0 || bodyLimitMb > 4096) throw new Error(`--body-limit-mb must be a number in (0, 4096], got ${JSON.stringify(limitMb)}`);
  const host = typeof v.host === 'string' ? v.host : '127.0.0.1';
  if (host === '') throw new Error('--host needs a value');
  const maxMb = v['trace-max-mb'];
  let traceMaxBytes: number | null = null;
  if (maxMb !== undefined) {
    const n = Number(maxMb);
    if (typeof maxMb !== 'string' || maxMb.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1 << 20)
      throw new Error(`--trace-max-mb must be a number of MiB in (0, ${1 << 20}], got ${JSON.stringify(maxMb)}`);
    traceMaxBytes = Math.floor(n * 2 ** 20);
  }
  const allowedHosts = ((v['allowed-host'] as string[] | undefined) ?? []).flatMap((h) => h.split(',')).map((h) => h.trim());
  const badHost = allowedHosts.find((h) => h === '' || /[\s/@?#]/.test(h));
  if (badHost !== undefined) throw new Error(`--allowed-host takes host names (e.g. kvtrace.example.com or .example.com), got ${JSON.stringify(badHost)}`);
  return {
    host,
    port: int('port', 8080, 0, 65535),
    storage,
    traceLevel,
    traceOutput: typeof v['trace-output'] === 'string' ? (v['trace-output'] as string) : null,
    tracesDir: typeof v['traces-dir'] === 'string' && v['traces-dir'] !== '' ? (v['traces-dir'] as string) : 'traces',
    traceMaxBytes,
    allowedHosts,
    queueSize: int('event-bus-queue-size', DEFAULT_EVENT_QUEUE_SIZE, 1, 10_000_000),
    bodyLimit: Math.floor(bodyLimitMb * 2 ** 20),
    demo: demo ? { requests: int('demo-requests', 300, 1, 10_000_000), concurrency: int('demo-concurrency', 4, 1, 1024) } : null,
  };
}

/** Where the trace goes: the default name in the traces dir; a bare name also goes there. */
export function tracePath(flags: ServerFlags, pid = process.pid, now = new Date()): string {
  const out = flags.traceOutput;
  if (out === null || out === '') return resolve(flags.tracesDir, defaultTraceFileName(pid, now));
  if (basename(out) === out) return resolve(flags.tracesDir, out);
  return resolve(out);
}

