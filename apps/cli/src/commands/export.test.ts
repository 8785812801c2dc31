import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedHeader, fixtureBytes as fixture, LMCACHE_FIXTURES as FIXTURES, headerOf, withHeader, writeSegments } from '@kvtrace/trace/test-support';
import { captureRun } from '../test-support/capture-run.ts';
import { run as exportCmd } from './export.ts';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-exportcmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = fixture('workload-small.lct');

// The record's index within its trace: `index` in the first JSON-lines schema, `record` in the one shared with the inspector.
type Line = { index?: number; record?: number; offset: number; t_mono: number; t_wall: number; qualname: string; args: unknown };
const recordIndex = (l: Line) => l.record ?? l.index;
const lines = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l) as Line);

describe('kvtrace export: several traces and rotated segments', () => {
  it('a rotated recording exports as the whole file does (offsets are per segment file)', async () => {
    const whole = lines((await captureRun(exportCmd, FIXTURES + 'workload-small.lct', '--format', 'jsonl')).out);
    const segs = join(dir, 'segs');
    writeSegments(segs, 'run', bytes, [120, 200]);
    const r = await captureRun(exportCmd, segs, '--format', 'jsonl');
    expect(r.code, r.err).toBe(0);
    const got = lines(r.out);
    expect(got.map(({ offset: _o, ...rest }) => rest)).toEqual(whole.map(({ offset: _o, ...rest }) => rest));
    expect(got[120]!.offset).toBe(whole[0]!.offset);
  });

  it('several traces are merged on the wall clock: t_mono from the earliest start, every record once', async () => {
    const two = join(dir, 'two');
    writeSegments(join(two, 'a'), 'x', bytes, []);
    const start = headerOf(bytes).t_wall_start;
    const first = lines((await captureRun(exportCmd, FIXTURES + 'workload-small.lct', '--format', 'jsonl')).out)[0]!;
    writeSegments(join(two, 'b'), 'x', withHeader(bytes, changedHeader(bytes, { t_wall_start: start + 0.1 })), []);
    const r = await captureRun(exportCmd, two, '--format', 'jsonl');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/2 traces \(a\.x, b\.x\) merged on the wall clock/);
    const got = lines(r.out);
    expect(got).toHaveLength(600);
    expect(got.every((l, i) => i === 0 || got[i - 1]!.t_mono <= l.t_mono)).toBe(true);
    expect(got.filter((l) => recordIndex(l) === 0).map((l) => l.t_mono)).toEqual([first.t_mono, start + 0.1 - start + first.t_mono]);
  });

  it('damage in a segment is reported with its file name; the export holds every readable record', async () => {
    const segs = join(dir, 'damaged');
    const p = writeSegments(segs, 'run', bytes, [100]);
    writeFileSync(p[0]!, readFileSync(p[0]!).subarray(0, readFileSync(p[0]!).length - 5));
    const r = await captureRun(exportCmd, segs, '--format', 'csv');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/run: run\.lct: truncated: the frame at byte \d+ claims \d+ bytes, only \d+ remain/);
    expect(r.out.trim().split('\r\n')).toHaveLength(1 + 299);
  });

  it('--format parquet writes the dataset and says what went where', async () => {
    const out = join(dir, 'pq');
    const r = await captureRun(exportCmd, FIXTURES + 'workload-small.lct', FIXTURES + 'v1.lct', '--format', 'parquet', '--out', out);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^workload-small: 300 calls -> 300 calls rows, \d+ call_keys rows, \d+ requests rows in 1 part\(s\)/m);
    expect(r.out).toMatch(/^v1: 60 calls -> 60 calls rows/m);
    expect(existsSync(join(out, 'calls', 'server=v1', 'part-0.parquet'))).toBe(true);
  });

  it('a set that is not one recording stops the export before anything is written', async () => {
    const mix = join(dir, 'mix');
    const p = writeSegments(mix, 'run', bytes, [100]);
    writeFileSync(p[1]!, withHeader(readFileSync(p[1]!), changedHeader(bytes, { trace_schema_version: 1 })));
    const out = join(dir, 'pq-mix');
    const r = await captureRun(exportCmd, mix, '--format', 'parquet', '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/run: run\.000001\.lct: trace_schema_version 1 differs from 2 in run\.lct/);
    expect(existsSync(out)).toBe(false);
  });

  it('usage: parquet needs --out, writes no -o; --out is for parquet only; a missing path is named', async () => {
    const f = FIXTURES + 'v1.lct';
    expect((await captureRun(exportCmd, f, '--format', 'parquet')).err).toMatch(/--format parquet needs --out DIR/);
    expect((await captureRun(exportCmd, f, '--format', 'parquet', '--out', dir, '-o', 'x')).err).toMatch(/use --out DIR, not -o/);
    expect((await captureRun(exportCmd, f, '--format', 'csv', '--out', dir)).code).toBe(2);
    const missing = await captureRun(exportCmd, join(dir, 'nope.lct'), '--format', 'csv');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.lct: no such file or directory/);
  });
});
