/**
 * `npm run kvtrace -- <command> ...`. Each command is a module exporting `run(argv)` that returns the
 * exit code; modules load lazily so `info` does not pay for the server's storage manager.
 */
type Command = { run(argv: string[]): Promise<number>; summary: string };

const commands: Record<string, () => Promise<Command>> = {
  info: () => import('./commands/info.ts'),
  analyze: () => import('./commands/analyze.ts'),
  workload: () => import('./commands/workload.ts'),
  replay: () => import('./commands/replay.ts'),
  export: () => import('./commands/export.ts'),
  collect: () => import('./commands/collect.ts'),
  sql: () => import('./commands/sql.ts'),
};

/** One line per command, loaded on demand (the commands load lazily otherwise). */
async function usage(): Promise<string> {
  const names = Object.keys(commands);
  const summaries = await Promise.all(names.map(async (c) => (await commands[c]!()).summary));
  const w = Math.max(...names.map((c) => c.length));
  return [
    'usage: npm run kvtrace -- <command> [options]',
    '',
    'commands:',
    ...names.map((c, i) => `  ${c.padEnd(w)}  ${summaries[i]}`),
    '',
    'Run a command with --help for its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    // Asked for: help on standard output, exit 0; no command at all: usage on standard error, exit 2.
    (name ? process.stdout : process.stderr).write((await usage()) + '\n');
    return name ? 0 : 2;
  }
  // Own keys only: `kvtrace constructor` must be an unknown command, not Object.prototype's member.
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`kvtrace: unknown command ${JSON.stringify(name)}\n\n${await usage()}\n`);
    return 2;
  }
  const cmd = await load();
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`kvtrace: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
