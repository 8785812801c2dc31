/** Fills e2e/.cache/traces: the shared LMCache fixtures, the generated multi-million-row trace, and the small generated ones. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { BIG_RECORDS, BIG_TRACE, DIST, FIXTURES, ROOT, TRACES_DIR } from './paths.ts';
import { ensureTrace } from './gen-traces.ts';
import { LIFECYCLE_TRACE, writeLifecycleTrace } from './gen-lifecycle-trace.ts';
import { writeFleetTraces } from './gen-fleet-traces.ts';

// `npx playwright test` alone (without the root `npm test`, which builds first) still needs a build.
if (!existsSync(`${DIST}/index.html`)) execSync('npm run build -w @kvtrace/inspector', { cwd: ROOT, stdio: 'inherit' });
mkdirSync(TRACES_DIR, { recursive: true });
for (const f of readdirSync(FIXTURES)) {
  const to = `${TRACES_DIR}/${f}`;
  // The shared fixtures are read-only and never change: copy once.
  if (f.endsWith('.lct') && !(existsSync(to) && statSync(to).size === statSync(FIXTURES + f).size)) copyFileSync(FIXTURES + f, to);
}
const t0 = performance.now();
const r = ensureTrace(`${TRACES_DIR}/${BIG_TRACE}`, { records: BIG_RECORDS, keys: 1, keyEvery: 1000, small: true });
if (r.generated) console.log(`generated ${BIG_TRACE} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
writeLifecycleTrace(`${TRACES_DIR}/${LIFECYCLE_TRACE}`);
writeFleetTraces(TRACES_DIR);
