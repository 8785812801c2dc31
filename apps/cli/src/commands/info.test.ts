import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceReader } from '@kvtrace/trace';
import { fileStream } from '@kvtrace/trace/node';
import { changedHeader, fixtureBytes as fixture, headerOf, withHeader, writeSegments } from '@kvtrace/trace/test-support';
import { captureRun } from '../test-support/capture-run.ts';
import { run as info } from './info.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = `${root}../shared/fixtures/lmcache/`;
const manifest = JSON.parse(readFileSync(`${fixtures}MANIFEST.json`, 'utf8')) as Record<string, Record<string, unknown>>;
const dir = mkdtempSync(join(tmpdir(), 'kvtrace-info-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kvtrace(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${root}apps/cli/src/main.ts`, ...args], { encoding: 'utf8', cwd: root });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const jsonLines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('kvtrace info', () => {
  it('--json prints one manifest-shaped object per file; exit 1 because some headers are invalid (child process)', () => {
    const files = Object.keys(manifest);
    const r = kvtrace('info', '--json', ...files.map((f) => fixtures + f));
    expect(r.code).toBe(1);
    const lines = jsonLines(r.out);
    const byFile = new Map(lines.filter((l) => 'file' in l).map((l) => [l.file, l]));
    expect(byFile.size).toBe(files.length);
    for (const f of files) {
      const got = byFile.get(fixtures + f)!;
      const want = manifest[f]!;
      for (const k of ['ok', 'error', 'header', 'records', 'by_qualname', 'duration_s', 'truncated', 'malformed', 'arg_decode_errors']) expect(got[k], `${f} ${k}`).toEqual(want[k]);
    }
    // Then the readable ones together: totals are the sums of the files'.
    const all = lines.find((l) => 'servers' in l)!;
    const good = files.filter((f) => manifest[f]!.ok);
    expect((all.servers as unknown[]).length).toBe(good.length);
    expect(all.records).toBe(good.reduce((n, f) => n + (manifest[f]!.records as number), 0));
    expect(r.err).toMatch(/bad-magic\.lct: bad magic/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('exit 0 when every header is valid, truncated files included; the text report names the damage and the unknown tag', async () => {
    const r = await captureRun(info, fixtures + 'truncated-body.lct', fixtures + 'malformed-middle.lct', fixtures + 'unknown-tag.lct');
    expect(r.code).toBe(0);
    expect(r.out).toContain('the frame at byte 191000 claims 4140 bytes, only 7 remain');
    expect(r.out).toMatch(/malformed:\s+2 frame\(s\) skipped/);
    expect(r.out).toMatch(/unknown tags:\s+9 record\(s\) carry argument tags this build does not know \(kept raw\): "PrefetchTaskSpec" in 9/);
    expect(r.out).toContain('(matches the config)');
    expect(r.err).toBe('');
  });

  it('a trace without config says so, never "(none) (matches the config)"', async () => {
    const r = await captureRun(info, fixtures + 'noconfig.lct');
    expect(r.out).toMatch(/config digest:\s+\(none: the trace records no config\)/);
    expect(r.out).not.toContain('matches');
  });

  it('the span of the calls is first to last call (the inspector Stats definition); duration_s stays LMCache\'s', async () => {
    const file = fixtures + 'workload-small.lct';
    const { records } = await new TraceReader(fileStream(file)).readAll();
    const t = records.map((x) => x.t_mono);
    const [lo, hi] = [Math.min(...t), Math.max(...t)];
    const [s] = jsonLines((await captureRun(info, '--json', file)).out);
    expect(s!.span_s).toBe(hi - lo);
    expect(s!.duration_s).toBe(hi);
    expect(s!.first_call_s).toBe(lo);
    const text = (await captureRun(info, file)).out;
    expect(text).toContain(`calls span:     ${(hi - lo).toFixed(3)} s, first call at +${lo.toFixed(3)} s, last at +${hi.toFixed(3)} s`);
  });

  it('bad files and missing files: the error on standard error, exit 1, no stack trace', async () => {
    const r = await captureRun(info, fixtures + 'bad-magic.lct', fixtures + 'empty.lct', '/nonexistent/x.lct');
    expect(r.code).toBe(1);
    expect(r.err).toContain("bad magic (got b'WRNG', expected b'LMCT')");
    expect(r.err).toContain('empty.lct: empty file');
    expect(r.err).toContain('/nonexistent/x.lct: no such file or directory');
    expect(r.out).toBe('');
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('usage errors exit 2', async () => {
    expect((await captureRun(info)).code).toBe(2);
    expect(kvtrace('nonsense').code).toBe(2);
    const zero = await captureRun(info, '--threads', '0', fixtures + 'workload-small.lct');
    expect(zero.code).toBe(2);
    expect(zero.err).toContain('--threads must be a whole number from 1 to 64, got "0"');
  });

  it('--threads 2 reads the file in parts and prints what one thread prints', async () => {
    const files = ['workload-small.lct', 'malformed-middle.lct', 'unknown-tag.lct', 'truncated-body.lct'].map((f) => fixtures + f);
    const one = await captureRun(info, '--json', '--threads', '1', ...files);
    const two = await captureRun(info, '--json', '--threads', '2', ...files);
    expect(two.code).toBe(one.code);
    expect(jsonLines(two.out)).toEqual(jsonLines(one.out));
  });
});

describe('kvtrace info: rotated segments and several traces', () => {
  const bytes = fixture('workload-small.lct');
  const segDir = join(dir, 'segs');
  const paths = writeSegments(segDir, 'run', bytes, [100, 250]);

  it('a folder of segments is one trace: records, methods and span equal the whole file', async () => {
    const [whole] = jsonLines((await captureRun(info, '--json', fixtures + 'workload-small.lct')).out);
    const r = await captureRun(info, '--json', segDir);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.out);
    expect(lines).toHaveLength(1);
    const s = lines[0]!;
    for (const k of ['records', 'by_qualname', 'duration_s', 'span_s', 'header']) expect(s[k], k).toEqual(whole![k]);
    expect(s.server).toBe('run');
    expect((s.segments as { file: string; records: number }[]).map((g) => [g.file, g.records])).toEqual([
      [paths[0], 100],
      [paths[1], 150],
      [paths[2], 50],
    ]);
  });

  it('a pattern, the files one by one, or the folder give the same trace', async () => {
    const a = jsonLines((await captureRun(info, '--json', join(segDir, 'run*.lct'))).out);
    const b = jsonLines((await captureRun(info, '--json', ...paths)).out);
    const c = jsonLines((await captureRun(info, '--json', segDir)).out);
    expect(a).toEqual(c);
    expect(b).toEqual(c);
  });

  it('one segment named alone is read alone, with a warning naming the others', async () => {
    const r = await captureRun(info, '--json', paths[0]!);
    expect(jsonLines(r.out)[0]!.records).toBe(100);
    expect(r.err).toMatch(/recording run has 2 more segment\(s\) beside it \(run\.000001\.lct, run\.000002\.lct\) not given/);
  });

  it('a missing middle segment is named in the text and the JSON', async () => {
    const gapDir = join(dir, 'gap');
    const p = writeSegments(gapDir, 'run', bytes, [100, 250]);
    rmSync(p[1]!);
    const r = await captureRun(info, gapDir);
    expect(r.out).toMatch(/segments:\s+2 \(MISSING: 1\)/);
    expect(jsonLines((await captureRun(info, '--json', gapDir)).out)[0]!.missing_segments).toEqual([1]);
  });

  it('a segment of another recording (other config digest) is refused with both files named', async () => {
    const mixDir = join(dir, 'mix');
    const p = writeSegments(mixDir, 'run', bytes, [100]);
    writeFileSync(p[1]!, withHeader(readFileSync(p[1]!), changedHeader(bytes, { sm_config_json: '{}', sm_config_digest: 'ab'.repeat(32) })));
    const r = await captureRun(info, mixDir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/run\.000001\.lct: sm_config_digest "abab.*" differs from "0e415de5.*" in run\.lct: not a segment of the same recording/);
  });

  it('several traces on one wall clock: each placed by its t_wall_start, totals summed', async () => {
    const h = headerOf(bytes);
    const fleet = join(dir, 'fleet');
    writeSegments(join(fleet, 'a'), 'trace', bytes, [150]);
    writeSegments(join(fleet, 'b'), 'trace', withHeader(bytes, changedHeader(bytes, { t_wall_start: h.t_wall_start + 2.5 })), []);
    const lines = jsonLines((await captureRun(info, '--json', fleet)).out);
    expect(lines).toHaveLength(3);
    // Same recording name in two folders: the folder tells the servers apart.
    expect(lines.slice(0, 2).map((l) => l.server)).toEqual(['a.trace', 'b.trace']);
    const all = lines[2] as { servers: { server: string; first_call: number; last_call: number; records: number }[]; t_wall_first: number; t_wall_last: number; records: number };
    const first = h.t_wall_start + (lines[0]!.first_call_s as number);
    const last = h.t_wall_start + 2.5 + (lines[1]!.last_call_s as number);
    expect(all.t_wall_first).toBe(first);
    expect(all.t_wall_last).toBe(last);
    expect(all.records).toBe(600);
    expect(all.servers.map((s) => s.records)).toEqual([300, 300]);
    const text = (await captureRun(info, fleet)).out;
    expect(text).toMatch(/all 2 traces on one wall clock/);
    expect(text).toMatch(/b\.trace\s+\+2\.\d{3} s\s+\+2\.5\d{2} s/);
  });
});
