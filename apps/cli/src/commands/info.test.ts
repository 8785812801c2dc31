import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = `${root}../shared/fixtures/lmcache/`;
const manifest = JSON.parse(readFileSync(`${fixtures}MANIFEST.json`, 'utf8')) as Record<string, Record<string, unknown>>;

function kvtrace(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${root}apps/cli/src/main.ts`, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('kvtrace info', () => {
  it('--json prints one manifest-shaped object per file; exit 1 because some headers are invalid', () => {
    const files = Object.keys(manifest);
    const r = kvtrace('info', '--json', ...files.map((f) => fixtures + f));
    expect(r.code).toBe(1);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(files.length);
    lines.forEach((got, i) => {
      const want = manifest[files[i]!]!;
      expect(got.file).toBe(fixtures + files[i]);
      for (const k of ['ok', 'error', 'header', 'records', 'by_qualname', 'duration_s', 'truncated', 'malformed', 'arg_decode_errors']) expect(got[k], `${files[i]} ${k}`).toEqual(want[k]);
    });
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exit 0 when every header is valid, truncated files included; the text report names the damage', () => {
    const r = kvtrace('info', fixtures + 'truncated-body.lct', fixtures + 'malformed-middle.lct', fixtures + 'unknown-tag.lct');
    expect(r.code).toBe(0);
    expect(r.out).toContain('the frame at byte 191000 claims 4140 bytes, only 7 remain');
    expect(r.out).toMatch(/malformed:\s+2 frame\(s\) skipped/);
    expect(r.out).toMatch(/unknown tags:\s+9 record/);
    expect(r.out).toContain('matches the config');
  });

  it('bad files and missing files get a clear error and no stack trace', () => {
    const r = kvtrace('info', fixtures + 'bad-magic.lct', fixtures + 'empty.lct', '/nonexistent/x.lct');
    expect(r.code).toBe(1);
    expect(r.out).toContain("bad magic (got b'WRNG', expected b'LMCT')");
    expect(r.out).toContain('empty file');
    expect(r.out).toContain('no such file');
    expect(r.out + r.err).not.toMatch(/\n\s+at /);
  });

  it('usage errors exit 2', () => {
    expect(kvtrace('info').code).toBe(2);
    expect(kvtrace('nonsense').code).toBe(2);
  });
});
