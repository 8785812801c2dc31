import { spawn, type ChildProcess } from 'node:child_process';

/** A child process of a test: its output so far, a wait for a line of it, its exit. */
export interface StartedProcess {
  child: ChildProcess;
  out(): string;
  /** Resolves once the output (stdout and stderr) matches; rejects if the process exits first. */
  until(pattern: RegExp): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
  /** Kills it (SIGKILL) if it still runs: for afterEach. */
  stop(): void;
}

/** Runs `node --import tsx SCRIPT ARGS...` (a TypeScript entry of this repository) from `cwd`. */
export function startTsx(script: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): StartedProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const until = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((res, rej) => {
      const check = () => {
        const m = pattern.exec(out);
        if (!m) return;
        waiters.delete(check);
        res(m);
      };
      waiters.add(check);
      check();
      void exited.then(() => {
        if (waiters.has(check)) rej(new Error(`process exited before printing ${pattern}:\n${out}`));
      });
    });
  return { child, out: () => out, until, exited, stop: () => void (child.exitCode === null && child.kill('SIGKILL')) };
}

/** Runs a TypeScript entry to its end: exit code and output. */
export async function runTsx(script: string, args: readonly string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  return { code, stdout, stderr };
}
