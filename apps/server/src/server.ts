/**
 * The server process: flags, listen, signals, graceful close. Everything else is in app.ts.
 * `npx tsx apps/server/src/server.ts [--port N] [--trace-level storage] [--demo] ...`
 */
import { basename, dirname, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { HELP, parseServerFlags, tracePath, type ServerFlags } from './flags.ts';
import { runWorkload, summaryRows } from './workload/index.ts';

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
      tracing: path ? { path, queueSize: flags.queueSize } : null,
      tracesDir: flags.tracesDir,
      bodyLimit: flags.bodyLimit,
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
    process.stdout.write(`kvtrace server: ${signal}: closing (draining requests, then the trace)\n`);
    // In-flight requests get a few seconds; then their connections are cut so the trace still closes cleanly.
    const force = setTimeout(() => app.server.closeAllConnections(), 5000);
    force.unref();
    closing = app.close().then(
      () => {
        const t = app.tracing;
        if (t) process.stdout.write(`kvtrace server: trace closed: ${t.recorder.stats.recordsWritten} records written, ${t.bus.dropped + t.recorder.droppedCount} dropped, ${t.path}\n`);
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
  // One write: whoever waits for the listening line finds the trace path with it.
  const l2 = app.storage.l2Path;
  process.stdout.write(
    `kvtrace server listening on ${url}\n` +
      (path ? `kvtrace server recording trace to ${path}\n` : 'kvtrace server tracing off (--trace-level storage turns it on)\n') +
      `kvtrace server L1 ${flags.storage.l1SizeGb} GiB ${flags.storage.evictionPolicy}, L2 ${l2 ?? 'off'}\n`,
  );

  if (flags.demo) {
    const { requests, concurrency } = flags.demo;
    process.stdout.write(`kvtrace server demo: ${requests} requests, concurrency ${concurrency}...\n`);
    const r = await runWorkload({ url, requests, concurrency, verify: true });
    const rows = summaryRows(r);
    const w = Math.max(...rows.map(([k]) => k.length));
    process.stdout.write(rows.map(([k, val]) => `  ${k.padEnd(w)}  ${val}`).join('\n') + '\n');
    const traceUrl = path && resolve(dirname(path)) === resolve(flags.tracesDir) ? `${url}/?trace=${encodeURIComponent(basename(path))}` : url;
    process.stdout.write(`kvtrace server demo done: open ${traceUrl} (Ctrl-C stops the server and closes the trace)\n`);
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
