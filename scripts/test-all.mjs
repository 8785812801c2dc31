#!/usr/bin/env node
/**
 * `npm test`: every test of the repository, on a fresh machine.
 * 1. installs Debian's Chromium when missing (root only; Playwright never downloads a browser here),
 * 2. runs vitest (unit, property, route and component tests),
 * 3. builds the inspector and runs the Playwright specs in e2e/ against it,
 * 4. prints one line `N passed, N failed` summing both runners, last.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const reports = '.reports';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

function sh(cmd, args, env = {}) {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

const CHROMIUM = process.env.KVTRACE_CHROMIUM ?? '/usr/bin/chromium';
const specs = existsSync('e2e') ? readdirSync('e2e').filter((f) => f.endsWith('.spec.ts')) : [];
if (specs.length > 0 && !existsSync(CHROMIUM)) {
  if (process.getuid?.() === 0) {
    sh('bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null']);
  } else {
    console.error(`Chromium is missing at ${CHROMIUM}: run 'sudo apt-get install -y chromium' (browser tests need it).`);
  }
}

let passed = 0;
let failed = 0;
let crashed = false;

const vitestCode = sh('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reports}/vitest.json`]);
try {
  const v = JSON.parse(readFileSync(`${reports}/vitest.json`, 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
  // A suite that failed to load counts as a failure even though it ran no test.
  failed += v.testResults.filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
} catch {
  crashed = true;
}
if (vitestCode !== 0 && failed === 0) crashed = true;

if (specs.length > 0) {
  const buildCode = sh('npm', ['run', 'build']);
  if (buildCode !== 0) crashed = true;
  else {
    const pwCode = sh('npx', ['playwright', 'test'], { PLAYWRIGHT_JSON_OUTPUT_NAME: `${reports}/playwright.json` });
    try {
      const p = JSON.parse(readFileSync(`${reports}/playwright.json`, 'utf8'));
      passed += p.stats.expected + p.stats.flaky;
      failed += p.stats.unexpected;
      if (p.errors?.length) crashed = true;
    } catch {
      crashed = true;
    }
    if (pwCode !== 0 && failed === 0) crashed = true;
  }
}

if (crashed) failed = Math.max(failed, 1);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
