/**
 * `npm run bench [-- --json] [-- --only trace,server,inspector,replay,fleet,scale,analyze]`: every area's speed figures
 * as tables, each figure measured against its baseline in the same run (ratios, since these
 * machines are noisy). With --json the last line is one JSON object of all figures.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchSection } from './bench-types.ts';
import { formatTable } from '@kvtrace/cli/table';

const MODULES: Record<string, string> = {
  trace: '../libs/trace/bench/trace.bench.ts',
  server: '../apps/server/bench/server.bench.ts',
  replay: '../apps/cli/bench/replay.bench.ts',
  inspector: '../apps/inspector/bench/inspector.bench.ts',
  fleet: '../apps/cli/bench/fleet.bench.ts',
  scale: '../libs/trace/bench/scale.bench.ts',
  analyze: '../libs/trace/bench/analyze.bench.ts',
};

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const onlyArg = args.find((a) => a.startsWith('--only'));
const only = onlyArg ? (onlyArg.includes('=') ? onlyArg.split('=')[1]! : args[args.indexOf(onlyArg) + 1] ?? '').split(',') : null;

const all: Record<string, number> = {};
let failed = false;
for (const [name, rel] of Object.entries(MODULES)) {
  if (only && !only.includes(name)) continue;
  const url = new URL(rel, import.meta.url);
  if (!existsSync(fileURLToPath(url))) {
    console.log(`\n[${name}] no bench module yet (${rel})`);
    continue;
  }
  console.log(`\n[${name}] running...`);
  try {
    const mod = (await import(url.href)) as BenchModule;
    const sections: BenchSection[] = await mod.run();
    for (const s of sections) {
      console.log(`\n${s.title}`);
      console.log(formatTable(s.head, s.rows, { indent: 2, align: s.head.map((_, i) => (i === 0 ? 'l' : 'r')) }));
      for (const n of s.notes ?? []) console.log(`  note: ${n}`);
      Object.assign(all, s.json);
    }
  } catch (e) {
    failed = true;
    console.error(`[${name}] bench failed: ${(e as Error).stack ?? e}`);
  }
}
if (asJson) console.log(JSON.stringify(all));
process.exitCode = failed ? 1 : 0;
