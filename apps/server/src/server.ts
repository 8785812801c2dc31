/**
 * The server process: flags, listen, signals, graceful close. Everything else is in app.ts.
 * `npx tsx apps/server/src/server.ts [--port N] [--trace-level storage] [--demo] ...`
 */
import { basename, dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { HELP, parseServerFlags, tracePath, type ServerFlags } from './flags.ts';
import { tracingStatus, tracingSummary } from './services/tracing-status.ts';
import { runWorkload, summaryRows } from './workload/index.ts';

const say = (line: string) => process.stdout.write(`kvtrace server: ${line}\n`);

async function main(argv: string[]): Promise<number> {
  let flags: ServerFlags | 'help';
  try {
    flags = parseServerFlags(argv);
  } catch (e) {
    process.stderr.write(`kvtrace server: ${(e as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (flags === 'help') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const path = flags.traceLevel ? tracePath(flags) : null;
  let app: FastifyInstance;
  try {
    app = await buildApp({
      storage: flags.storage,
      tracing: path ? { path, queueSize: flags.queueSize, maxSegmentBytes: flags.traceMaxBytes ?? undefined } : null,
      tracesDir: flags.tracesDir,
      bodyLimit: flags.bodyLimit,
      hosts: { listen: flags.host, allowed: flags.allowedHosts },
      // One line per change of the recording's state (disk full, recovered, file deleted).
      notice: (m) => process.stderr.write(`kvtrace server: ${m}\n`),
      logger: { level: 'warn' },
    });
  } catch (e) {
    process.stderr.write(`kvtrace server: cannot start: ${(e as Error).message}\n`);
    return 1;
  }

  let closing: Promise<void> | null = null;
  let firstSignalAt = 0;
  const shutdown = (signal: string) => {
    if (closing) {
      // Ctrl-C reaches every process of the group and wrappers (npm start, tsx) relay it too: a
      // repeat within 2 s is that echo; a later one is a user who does not want to wait.
      if (Date.now() - firstSignalAt < 2000) return;
      process.stderr.write(`kvtrace server: ${signal} again, exiting now\n`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    say(`${signal}: closing (draining requests, then the trace)`);
    // app.close() bounds itself (graceful-close.ts): calls in flight, then open downloads.
    closing = app.close().then(
      () => {
        const t = app.tracing;
        if (t) {
          const s = tracingStatus(t);
          say(`trace closed: ${tracingSummary(s)}, ${s.segments.length > 1 ? `${dirname(t.path)}/{${s.segments.join(',')}}` : t.path}`);
        }
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`kvtrace server: error while closing: ${(e as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  try {
    await app.listen({ host: flags.host, port: flags.port });
  } catch (e) {
    process.stderr.write(`kvtrace server: cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}\n`);
    await app.close();
    return 1;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : flags.port;
  const url = `http://${flags.host.includes(':') ? `[${flags.host}]` : flags.host}:${port}`;
  const tracesDir = resolve(flags.tracesDir);
  const outside = path !== null && resolve(dirname(path)) !== tracesDir;
  // One write: whoever waits for the listening line finds the trace path with it.
  const l2 = app.storage.l2Path;
  process.stdout.write(
    `kvtrace server listening on ${url}\n` +
      (path
        ? `kvtrace server recording trace to ${path}${flags.traceMaxBytes ? ` (rotating every ${flags.traceMaxBytes} bytes: ${basename(path, '.lct')}.000001.lct, ...)` : ''}\n`
        : 'kvtrace server tracing off (--trace-level storage turns it on)\n') +
      `kvtrace server traces listed at ${url}/traces from ${tracesDir}${outside ? ' (and this recording, kept outside it)' : ''}\n` +
      `kvtrace server L1 ${flags.storage.l1SizeGb} GiB ${flags.storage.evictionPolicy}, L2 ${l2 ?? 'off'}\n`,
  );

  if (flags.demo) {
    const { requests, concurrency } = flags.demo;
    say(`demo: ${requests} requests, concurrency ${concurrency}...`);
    const r = await runWorkload({ url, requests, concurrency, verify: true });
    // The summary and the link come once every call of the demo is in the file: the bus drained
    // and the recorder's batch written, so the count printed is the count the file holds.
    const t = app.tracing;
    if (t) {
      await t.bus.whenIdle();
      t.recorder.flush();
    }
    r.server = (await app.inject({ method: 'GET', url: '/v1/stats' })).json() as Record<string, unknown>;
    const rows = summaryRows(r);
    const w = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, val]) => `  ${k.padEnd(w)}  ${val}`).join('\n') + '\n');
    const traceUrl = path ? `${url}/?trace=${encodeURIComponent(basename(path))}` : url;
    say(`demo done: open ${traceUrl} (Ctrl-C stops the server and closes the trace)`);
  }
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(`kvtrace server: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
