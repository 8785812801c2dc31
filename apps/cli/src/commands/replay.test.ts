import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { MemoryLayoutDesc } from '@kvtrace/trace';
import { TraceBuilder, testKey as key, trafficTrace, writeSegments, type HeaderOptions } from '@kvtrace/trace/test-support';
import { run } from './replay.ts';
import { run as runExport } from './export.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = `${root}../shared/fixtures/lmcache/`;
const dir = mkdtempSync(join(tmpdir(), 'kvtrace-replay-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kvtrace(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${root}apps/cli/src/main.ts`, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Runs a command in process, capturing what it prints. */
async function inProcess(fn: (argv: string[]) => Promise<number>, ...argv: string[]) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    return { code: await fn(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const layout = new MemoryLayoutDesc([[16, 1024]], ['torch.float16']);
const workload = (requests: number, header: HeaderOptions = {}) => trafficTrace({ requests, keysPerCall: 8, layout }, header);
const good = join(dir, 'good.lct');
const goodTrace = workload(60);
writeFileSync(good, goodTrace.bytes);
/** A trace of explicit calls, written by the builder. */
function trace(write: (b: TraceBuilder) => void): Uint8Array {
  const b = TraceBuilder.memory();
  write(b);
  return b.bytes();
}
// The last call cannot succeed (a negative extra_count is refused by the manager): one failed record.
const failing = join(dir, 'failing.lct');
writeFileSync(
  failing,
  trace((b) => {
    b.call('reserve_write', 0.001, { keys: [key(1)], layout_desc: layout, mode: 'new' });
    b.call('finish_write', 0.002, { keys: [key(1)] });
    b.call('finish_read_prefetched', 0.003, { keys: [key(1)], extra_count: -1 });
  }),
);

describe('kvtrace replay (child process: exit codes)', () => {
  it('refuses a schema-1 trace with the reason, exit 1, no stack trace', () => {
    const r = kvtrace('replay', fixtures + 'v1.lct', '--l1-size-gb', '1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/schema version 1 cannot be replayed: its keys lack cache_salt/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('an unknown flag is exit 2 with a clear message', () => {
    const r = kvtrace('replay', good, '--l1-size-gb', '1', '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Unknown option '--bogus'/);
  });

  it('a failed record is exit 1; the reports are written; speed 0 warns', () => {
    const r = kvtrace('replay', failing, '--l1-size-gb', '0.01', '--l2-dir', 'none', '--speed', '0', '--json', join(dir, 'r.json'), '--csv', join(dir, 'r.csv'), '--jsonl', join(dir, 'r.jsonl'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/warning: --speed 0 .*less faithful/);
    expect(r.out).toMatch(/3 read: 2 replayed, 0 skipped, 1 failed/);
    expect(r.out).toMatch(/failure: +record 2 finish_read_prefetched: extra_count must be/);
    const lines = readFileSync(join(dir, 'r.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { qualname: string; latency_ms: number | null; failed: boolean });
    expect(lines.map((l) => l.failed)).toEqual([false, false, true]);
    expect(lines[0]!.latency_ms).toBeGreaterThan(0);
    const json = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { runs: { failed: number; config: { match: string } }[] };
    expect(json.runs[0]).toMatchObject({ failed: 1, config: { match: 'no config in trace' } });
    expect(readFileSync(join(dir, 'r.csv'), 'utf8')).toMatch(/^config,operation,count,errors,mean_ms/);
  });
});

describe('kvtrace replay (in process)', () => {
  it('an in-process target needs --l1-size-gb and says so (exit 2)', async () => {
    const r = await inProcess(run, good);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--l1-size-gb is required/);
  });

  it('bad storage flags name the flag (exit 2)', async () => {
    const r = await inProcess(run, good, '--l1-size-gb', 'lots');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--l1-size-gb must be a number/);
  });

  it('--compare-config replays twice and prints both side by side', async () => {
    const r = await inProcess(run, good, '--l1-size-gb', String((8 * layout.byteSize) / 2 ** 30), '--l2-dir', 'none', '--speed', '0', '--compare-config', `l1-size-gb=${(64 * layout.byteSize) / 2 ** 30}`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/A l1-size-gb=[\d.e-]+\s+B l1-size-gb=[\d.e-]+/);
    const hit = /L1 hit rate\s+(\d+\.\d)%\s+(\d+\.\d)%/.exec(r.out);
    expect(Number(hit![2])).toBeGreaterThan(Number(hit![1]));
  });

  it('--from-header builds the recorded config; --compare-config rejects unknown flags', async () => {
    const r = await inProcess(run, fixtures + 'workload-small.lct', '--from-header', '--l1-size-gb', '0.5', '--l2-dir', 'none', '--speed', '0');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/L1 0\.5 GiB LRU, L2 off/);
    // The settings it did not reproduce are named (the L1 size given here, the L2 turned off, what it has no model of).
    expect(r.out).toMatch(/config: +differs from the recorded one in chunk_size, l1_size_gb, l1_use_lazy, l2_adapters, l2_store_policy, max_l2_pending_bytes \(digest: trace 0e415de55370/);
    const bad = await inProcess(run, good, '--l1-size-gb', '1', '--compare-config', 'l3-size=1');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown storage flag "l3-size"/);
  });
});

describe('kvtrace replay report paths', () => {
  it('an unwritable --csv or --json is refused before the replay runs, naming the cause', async () => {
    for (const [flag, path, cause] of [
      ['--csv', join(dir, 'missing', 'x.csv'), /cannot write --csv .*x\.csv: the folder .*missing does not exist/],
      ['--json', dir, /cannot write --json .*: it is a folder/],
    ] as const) {
      const r = await inProcess(run, good, '--l1-size-gb', '1', '--speed', '0', flag, path);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(cause);
      expect(r.out).not.toMatch(/replay of/);
    }
  });
});

describe('kvtrace replay of a rotated recording', () => {
  it('its segments replay as one trace: the same calls and outcomes as the whole file', async () => {
    const seg = join(dir, 'rotated');
    writeSegments(seg, 'run', goodTrace.bytes, [40, 90]);
    const args = ['--l1-size-gb', String((64 * layout.byteSize) / 2 ** 30), '--l2-dir', 'none', '--speed', '0'];
    const whole = await inProcess(run, good, ...args, '--json', join(dir, 'whole.json'));
    const rotated = await inProcess(run, seg, ...args, '--json', join(dir, 'rotated.json'));
    expect(rotated.code).toBe(whole.code);
    const runOf = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { runs: { records: number; replayed: number; failed: number; stats: { l1_hits: number; l1_misses: number } }[] }).runs[0]!;
    const w = runOf(join(dir, 'whole.json'));
    const r = runOf(join(dir, 'rotated.json'));
    expect(r.records).toBe(w.records);
    expect(r).toMatchObject({ replayed: w.replayed, failed: w.failed, stats: { l1_hits: w.stats.l1_hits, l1_misses: w.stats.l1_misses } });
    expect(rotated.out).toMatch(/replay of run \(3 segments\)/);
  });

  it('two recordings are two traces: refused with both names', async () => {
    const two = join(dir, 'two');
    mkdirSync(two, { recursive: true });
    writeFileSync(join(two, 'a.lct'), goodTrace.bytes);
    writeFileSync(join(two, 'b.lct'), goodTrace.bytes);
    const r = await inProcess(run, two, '--l1-size-gb', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/replay takes one trace .* holds 2: a, b/);
  });
});

describe('kvtrace replay --from-header (an untrusted header)', () => {
  const withConfig = (name: string, config: unknown) => {
    const f = join(dir, name);
    writeFileSync(f, workload(5, { configJson: JSON.stringify(config) }).bytes);
    return f;
  };

  it('ignores the recorded L2 path: no directory is created where the header points', async () => {
    const evil = join(dir, 'evil', 'deep', 'l2');
    const f = withConfig('evil-l2.lct', { l1_size_gb: 0.01, eviction_policy: 'LRU', l2_adapters: [{ type: 'fs', path: evil, size_gb: 0.01 }] });
    const mine = join(dir, 'my-l2');
    const r = await inProcess(run, f, '--from-header', '--speed', '0', '--l2-dir', mine);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/L1 0\.01 GiB LRU/);
    expect(existsSync(join(dir, 'evil'))).toBe(false);
    // Without --l2-dir it goes to the default tmp dir, still not the header's.
    expect((await inProcess(run, f, '--from-header', '--speed', '0')).code).toBe(0);
    expect(existsSync(join(dir, 'evil'))).toBe(false);
  });

  it('a bad recorded value is blamed on the trace header, not on a flag the user did not pass', async () => {
    const f = withConfig('bad-config.lct', { l1_size_gb: 'lots' });
    const r = await inProcess(run, f, '--from-header', '--speed', '0', '--l2-dir', 'none');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/trace header config: .*"lots"/);
  });
});

describe('kvtrace replay interrupted (child process)', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} mid-run closes the target, removing its L2 directory, and exits ${code}`, async () => {
      const k = [key(1)];
      const f = join(dir, `gap-${signal}.lct`);
      writeFileSync(
        f,
        trace((b) => {
          b.call('finish_write', 0, { keys: k });
          b.call('finish_write', 600, { keys: k }); // a 10-minute gap
        }),
      );
      const l2 = join(dir, `l2-${signal}`);
      mkdirSync(l2);
      const child = spawn(process.execPath, ['--import', 'tsx', `${root}apps/cli/src/main.ts`, 'replay', f, '--l1-size-gb', '0.01', '--l2-dir', l2], { cwd: root, stdio: 'ignore' });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
      try {
        // The manager made its L2 directory: the run has started and is waiting out the gap.
        const deadline = Date.now() + 10_000;
        while (readdirSync(l2).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(readdirSync(l2)).toHaveLength(1);
        child.kill(signal);
        expect(await exited).toBe(code);
        expect(readdirSync(l2)).toEqual([]);
      } finally {
        child.kill('SIGKILL');
      }
    }, 15_000);
  }
});

describe('kvtrace export (exit codes)', () => {
  it('bad file: exit 1 with the reader message, no stack (child process)', () => {
    const r = kvtrace('export', fixtures + 'bad-magic.lct', '--format', 'jsonl');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad magic/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('usage errors are exit 2', async () => {
    expect((await inProcess(runExport, good)).code).toBe(2);
    expect((await inProcess(runExport, good, '--format', 'xml')).err).toMatch(/unknown --format "xml"/);
    expect((await inProcess(runExport, good, '--format', 'csv', '--nope')).code).toBe(2);
  });

  it('-o to a path that cannot be written: the error and exit 1, not a silent exit 0', async () => {
    for (const out of [join(dir, 'no-such-dir', 'e.jsonl'), dir]) {
      const r = await inProcess(runExport, good, '--format', 'jsonl', '-o', out);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/cannot write .*(ENOENT|EISDIR)/);
    }
  });

  it('standard output closed by its reader (EPIPE) is a quiet exit 0 (child process)', () => {
    // `| head -c 1`: the reader goes away after the first byte, the rest of the export hits EPIPE.
    const big = join(dir, 'big.lct');
    writeFileSync(big, workload(2000).bytes);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" --import tsx "${root}apps/cli/src/main.ts" export "${big}" --format jsonl | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8', cwd: root });
    expect(r.stdout.trim()).toBe('0');
    expect(r.stderr).not.toMatch(/cannot write|Error/);
  });

  it('writes a file with -o', async () => {
    const out = join(dir, 'e.json');
    const r = await inProcess(runExport, good, '--format', 'chrome', '-o', out);
    expect(r.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { ph: string }[] };
    // At least one complete event per read scope (enter/exit pair) of the workload (lifecycle and request spans may add more).
    const scopes = goodTrace.summary.byMethod['read_prefetched_results.__enter__']!;
    expect(scopes).toBeGreaterThan(0);
    expect(doc.traceEvents.filter((e) => e.ph === 'X').length).toBeGreaterThanOrEqual(scopes);
  });
});
