#!/usr/bin/env node
/**
 * `npm start -- FLAGS`: builds the inspector when it has never been built (a failed build only
 * warns: the server then says so at /), then runs the server with FLAGS, forwarding signals and
 * its exit code.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);

const inspectorPkg = 'apps/inspector/package.json';
if (!existsSync('apps/inspector/dist/index.html') && existsSync(inspectorPkg)) {
  let hasBuild = false;
  try {
    hasBuild = typeof JSON.parse(readFileSync(inspectorPkg, 'utf8')).scripts?.build === 'string';
  } catch {
    hasBuild = false;
  }
  if (hasBuild) {
    console.log('kvtrace: building the inspector (first start)...');
    const r = spawnSync('npm', ['run', 'build', '-w', '@kvtrace/inspector'], { stdio: 'inherit' });
    if (r.status !== 0) console.warn('kvtrace: warning: the inspector build failed; the server starts without it (/ will say so)');
  }
}

// `node --import tsx` is `npx tsx` in one process: npx runs tsx through `sh -c`, which does not
// pass signals on, so SIGTERM to this script would never reach the server.
const child = spawn(process.execPath, ['--import', 'tsx', 'apps/server/src/server.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (child.exitCode === null) child.kill(sig);
  });
}
child.on('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1) : 1));
});
child.on('error', (e) => {
  console.error(`kvtrace: cannot start the server: ${e.message}`);
  process.exit(1);
});
