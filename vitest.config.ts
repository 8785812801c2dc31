import { defineConfig } from 'vitest/config';

// An explicit include keeps Playwright specs (e2e/*.spec.ts) out of vitest.
export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'apps/*/src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Node 20 (CI) has ArrayBuffer.prototype.transfer behind a flag; Chromium and Node 22+ ship it.
    // With it the tests run the columns' growth as the browser does (growable.ts `moved`: the old
    // buffer detached, so a view kept across a growth would read nothing and fail a test).
    execArgv: typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function' ? [] : ['--harmony-rab-gsab-transfer'],
  },
});
