import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';

/**
 * E2E in the system Chromium (never `npx playwright install`). The web server is apps/server when
 * it exists (KVTRACE_E2E_STATIC=1 forces the stand-in in e2e/support/static-server.ts); its traces
 * directory is e2e/.cache/traces, filled by e2e/support/prepare.ts (fixtures + a generated 3M-call
 * trace) before the server starts.
 */
const PORT = Number(process.env.KVTRACE_E2E_PORT ?? 4517);
const TRACES = 'e2e/.cache/traces';
const realServer = existsSync('apps/server/src/server.ts') && process.env.KVTRACE_E2E_STATIC !== '1';
const serve = realServer
  ? `npx tsx apps/server/src/server.ts --host 127.0.0.1 --port ${PORT} --traces-dir ${TRACES}`
  : `npx tsx e2e/support/static-server.ts --host 127.0.0.1 --port ${PORT} --traces-dir ${TRACES} --dist apps/inspector/dist`;

export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list'], ['json']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    viewport: { width: 1440, height: 860 },
    launchOptions: {
      executablePath: process.env.KVTRACE_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    command: `npx tsx e2e/support/prepare.ts && ${serve}`,
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'pipe',
  },
});
