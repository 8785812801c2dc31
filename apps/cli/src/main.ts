/**
 * `npm run kvtrace -- <command> ...`. Each command is a module exporting `run(argv)` that returns the
 * exit code; modules load lazily so `info` does not pay for the server's storage manager.
 */
type Command = { run(argv: string[]): Promise<number>; summary: string };

const commands: Record<string, () => Promise<Command>> = {
  info: () => import('./commands/info.ts'),
  workload: () => import('./commands/workload.ts'),
  replay: () => import('./commands/replay.ts'),
  export: () => import('./commands/export.ts'),
  collect: () => import('./commands/collect.ts'),
  sql: () => import('./commands/sql.ts'),
};

function usage(): string {
  return [
    'usage: npm run kvtrace -- <command> [options]',
    '',
    'commands:',
    ...Object.keys(commands).map((c) => `  ${c}`),
    '',
    'Run a command with --help for its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  // Own keys only: `kvtrace constructor` must be an unknown command, not Object.prototype's member.
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`kvtrace: unknown command ${JSON.stringify(name)}\n\n${usage()}\n`);
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
