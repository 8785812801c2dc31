/**
 * `npm run lint`: the three checks, each reported, the exit status non-zero if any fails.
 *  1. imports: scripts/lint/layers.ts (allowlisted layers, package exports only, no cycles,
 *     browser bundles without Node builtins),
 *  2. ESLint (eslint.config.js: the React hooks rules on the inspector, correctness rules on all),
 *  3. knip (knip.json: unused files, exports and dependencies).
 * `npm test` runs the same three (scripts/test-all.mjs), so CI enforces them.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { formatViolation, repoImportViolations } from './repo-imports.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface LintResult {
  name: string;
  ok: boolean;
}

export function runLint(): LintResult[] {
  const results: LintResult[] = [];
  console.log('\n$ imports (scripts/lint/layers.ts)');
  const violations = repoImportViolations(root);
  for (const v of violations) console.log(`  ${formatViolation(v)}`);
  console.log(violations.length === 0 ? '  no violations' : `  ${violations.length} violation(s)`);
  results.push({ name: 'imports', ok: violations.length === 0 });
  for (const [name, args] of [
    ['eslint', ['eslint', '.', '--max-warnings', '0']],
    ['knip', ['knip', '--no-progress']],
  ] as const) {
    console.log(`\n$ npx ${args.join(' ')}`);
    const r = spawnSync('npx', [...args], { cwd: root, stdio: 'inherit' });
    results.push({ name, ok: r.status === 0 });
  }
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = runLint();
  console.log(`\nlint: ${results.map((r) => `${r.name} ${r.ok ? 'ok' : 'FAILED'}`).join(', ')}`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}
