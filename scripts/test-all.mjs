#!/usr/bin/env node
/**
 * `npm test`: every test of the repository, on a fresh machine.
 * 1. installs Debian's Chromium when missing (root only; Playwright never downloads a browser here),
 * 2. runs vitest (unit, property, route and component tests; scripts/lint/imports.test.ts checks the
 *    import layering), then the static checks, one result each: tsc (typecheck, bench/ included),
 *    ESLint and knip (the rest of `npm run lint`),
 * 3. the LMCache cross-check (tools/lmcache-check, Python + msgspec 0.22): its own unit tests, then
 *    every trace the vitest run recorded through the real server (apps/server/src/lmcache-corpus.test.ts
 *    writes them to .reports/lct-corpus), one result per file; skipped, saying so, without python3,
 * 4. builds the inspector and runs the Playwright specs in e2e/ against it,
 * 5. prints one line `N passed, N failed` summing every step, last.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const reports = '.reports';
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const CORPUS = `${reports}/lct-corpus`;

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

const vitestCode = sh('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reports}/vitest.json`], { KVTRACE_LCT_CORPUS: CORPUS });
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

// Static checks: each one counts as one test (it passes or it does not).
for (const [name, cmd, args] of [
  ['typecheck', 'npm', ['run', 'typecheck']],
  ['ESLint', 'npx', ['eslint', '.', '--max-warnings', '0']],
  ['knip', 'npx', ['knip', '--no-progress']],
]) {
  if (sh(cmd, args) === 0) passed++;
  else {
    failed++;
    console.log(`${name} FAILED`);
  }
}

const lmcache = lmcacheCheck();
passed += lmcache.passed;
failed += lmcache.failed;

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

/**
 * The independent Python check. Counts: each unit test of the checker, and each trace file
 * (a file passes when LMCache's rules hold for every frame of it).
 */
function lmcacheCheck() {
  const probe = spawnSync('python3', ['-c', 'import msgspec; print(msgspec.__version__)'], { encoding: 'utf8' });
  if (probe.error) {
    console.log('\nLMCache cross-check SKIPPED: python3 is not installed (tools/lmcache-check needs python3 with msgspec 0.22)');
    return { passed: 0, failed: 0 };
  }
  if (probe.status !== 0) {
    console.error(`\nLMCache cross-check FAILED to start: python3 cannot import msgspec (run: python3 -m pip install msgspec==0.22.0)\n${probe.stderr.trim()}`);
    return { passed: 0, failed: 1 };
  }
  console.log(`\n$ python3 -m unittest discover -s tools/lmcache-check   (msgspec ${probe.stdout.trim()})`);
  const unit = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tools/lmcache-check'], { encoding: 'utf8' });
  process.stdout.write(unit.stderr.split('\n').slice(-4).join('\n') + '\n');
  const ran = Number(/Ran (\d+) tests?/.exec(unit.stderr)?.[1] ?? 0);
  const bad = /FAILED \(([^)]*)\)/.exec(unit.stderr)?.[1] ?? '';
  const unitFailed = [...bad.matchAll(/(?:failures|errors)=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0) || (unit.status !== 0 ? Math.max(1, ran) : 0);
  let result = { passed: Math.max(0, ran - unitFailed), failed: unitFailed };
  console.log(`\n$ python3 tools/lmcache-check/check.py --kvtrace ${CORPUS}`);
  const files = spawnSync('python3', ['tools/lmcache-check/check.py', '--kvtrace', '--json', CORPUS], { encoding: 'utf8' });
  let report;
  try {
    report = JSON.parse(files.stdout);
  } catch {
    console.error(`LMCache cross-check: no recorded traces to check in ${CORPUS} (did apps/server/src/lmcache-corpus.test.ts run?)\n${files.stderr.trim()}`);
    return { passed: result.passed, failed: result.failed + 1 };
  }
  for (const f of report.files) console.log(`  ${f.ok ? 'ok  ' : 'FAIL'} ${f.path} (${f.records} records${f.truncated ? ', truncated tail' : ''})${f.ok ? '' : `: ${f.error}`}`);
  console.log(`LMCache cross-check: ${report.passed} trace files pass LMCache's rules, ${report.failed} do not`);
  return { passed: result.passed + report.passed, failed: result.failed + report.failed };
}

if (crashed) failed = Math.max(failed, 1);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
