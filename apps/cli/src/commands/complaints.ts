/**
 * How a command tells the user what went wrong, always on stderr: `fail` for an error (exit status
 * 1), `usageError` for a command line it cannot run, followed by its help (exit status 2).
 */
export function complaints(command: string, help: string): { fail(message: string): number; usageError(message: string): number } {
  return {
    fail(message) {
      process.stderr.write(`kvtrace ${command}: ${message}\n`);
      return 1;
    },
    usageError(message) {
      process.stderr.write(`kvtrace ${command}: ${message}\n\n${help}\n`);
      return 2;
    },
  };
}
