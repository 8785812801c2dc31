import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGlob, globToRegExp } from './glob.ts';
import { expandTraceInputs, InputError } from './inputs.ts';
import { COLLECT_MARKER, sanitizeServerName, serverNameForUrl } from './server-name.ts';
import { changedHeader, fixtureBytes as fixture, headerOf, withHeader, writeSegments } from '@kvtrace/trace/test-support';

const dir = mkdtempSync(join(tmpdir(), 'kvtrace-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = fixture('workload-small.lct');

describe('glob patterns', () => {
  it('* and ? stay within a name, ** crosses folders, [..] is a class', () => {
    expect(globToRegExp('*.lct').test('a.lct')).toBe(true);
    expect(globToRegExp('*.lct').test('x/a.lct')).toBe(false);
    expect(globToRegExp('**/*.lct').test('a.lct')).toBe(true);
    expect(globToRegExp('**/*.lct').test('x/y/a.lct')).toBe(true);
    expect(globToRegExp('run.00000[0-2].lct').test('run.000002.lct')).toBe(true);
    expect(globToRegExp('run.00000[!0-2].lct').test('run.000002.lct')).toBe(false);
    expect(globToRegExp('a?.lct').test('ab.lct')).toBe(true);
    expect(globToRegExp('a+b(1).lct').test('a+b(1).lct')).toBe(true);
  });

  it('expands from the literal folder, no deeper than the pattern, dot-names only when asked', () => {
    const g = join(dir, 'glob');
    for (const p of ['a.lct', 'b.lct', '.hidden.lct', 'sub/c.lct', 'sub/deep/d.lct', 'notes.txt']) {
      mkdirSync(join(g, p, '..'), { recursive: true });
      writeFileSync(join(g, p), '');
    }
    expect(expandGlob(join(g, '*.lct'))).toEqual([join(g, 'a.lct'), join(g, 'b.lct')]);
    expect(expandGlob(join(g, '**/*.lct'))).toEqual([join(g, 'a.lct'), join(g, 'b.lct'), join(g, 'sub/c.lct'), join(g, 'sub/deep/d.lct')]);
    expect(expandGlob(join(g, '*/*.lct'))).toEqual([join(g, 'sub/c.lct')]);
    expect(expandGlob(join(g, '.*.lct'))).toEqual([join(g, '.hidden.lct')]);
    expect(expandGlob(join(g, 'nope/*.lct'))).toEqual([]);
  });
});

describe('server names', () => {
  it('host-port from a URL; anything unsafe in a path or a partition value becomes _', () => {
    expect(serverNameForUrl(new URL('http://127.0.0.1:8080/'))).toBe('127.0.0.1-8080');
    expect(serverNameForUrl(new URL('http://[::1]:9000'))).toBe('__1-9000');
    expect(serverNameForUrl(new URL('https://node-3.lan'))).toBe('node-3.lan-443');
    expect(sanitizeServerName('a b=c/d')).toBe('a_b_c_d');
    expect(sanitizeServerName('..')).toBe('_');
    expect(sanitizeServerName('')).toBe('_');
  });
});

describe('expandTraceInputs', () => {
  it('groups segments per folder, orders traces on the wall clock, reads each header', async () => {
    const root = join(dir, 'order');
    const h = headerOf(bytes);
    writeSegments(join(root, 'late'), 'x', withHeader(bytes, changedHeader(bytes, { t_wall_start: h.t_wall_start + 10 })), [50]);
    writeSegments(join(root, 'early'), 'y', bytes, [10, 20]);
    const { sets, warnings } = await expandTraceInputs([root]);
    expect(warnings).toEqual([]);
    expect(sets.map((s) => [s.server, s.segments.map((f) => f.name), s.header?.t_wall_start])).toEqual([
      ['y', ['y.lct', 'y.000001.lct', 'y.000002.lct'], h.t_wall_start],
      ['x', ['x.lct', 'x.000001.lct'], h.t_wall_start + 10],
    ]);
    expect(sets.every((s) => s.problem === null)).toBe(true);
  });

  it("collect's folders name the servers; two recordings in one folder, or one name in two folders, get the folder in front", async () => {
    const root = join(dir, 'names');
    writeSegments(join(root, '10.0.0.1-8080'), 'trace', bytes, []);
    writeFileSync(join(root, '10.0.0.1-8080', COLLECT_MARKER), '{}');
    writeSegments(join(root, '10.0.0.2-8080'), 'one', bytes, []);
    writeSegments(join(root, '10.0.0.2-8080'), 'two', bytes, []);
    writeFileSync(join(root, '10.0.0.2-8080', COLLECT_MARKER), '{}');
    writeSegments(join(root, 'p'), 'same', bytes, []);
    writeSegments(join(root, 'q'), 'same', bytes, []);
    const { sets } = await expandTraceInputs([root]);
    expect(sets.map((s) => s.server).sort()).toEqual(['10.0.0.1-8080', '10.0.0.2-8080.one', '10.0.0.2-8080.two', 'p.same', 'q.same']);
  });

  it('the same file given twice is read once', async () => {
    const p = writeSegments(join(dir, 'twice'), 't', bytes, []);
    const { sets } = await expandTraceInputs([p[0]!, join(dir, 'twice'), join(dir, 'twice', '*.lct')]);
    expect(sets).toHaveLength(1);
  });

  it('a file with another extension is a trace of its own', async () => {
    const p = join(dir, 'odd', 'capture.bin');
    mkdirSync(join(dir, 'odd'), { recursive: true });
    writeFileSync(p, bytes);
    const { sets } = await expandTraceInputs([p]);
    expect(sets.map((s) => [s.server, s.segments.length, s.header !== null])).toEqual([['capture', 1, true]]);
  });

  it('names what is wrong: a missing path, an empty folder, a pattern matching nothing', async () => {
    mkdirSync(join(dir, 'empty'), { recursive: true });
    await expect(expandTraceInputs([join(dir, 'nope.lct')])).rejects.toThrow(new InputError(`${join(dir, 'nope.lct')}: no such file or directory`));
    await expect(expandTraceInputs([join(dir, 'empty')])).rejects.toThrow(/empty: no \.lct file in this directory/);
    await expect(expandTraceInputs([join(dir, 'empty', '*.lct')])).rejects.toThrow(/no file matches this pattern/);
    const kept = await expandTraceInputs([join(dir, 'nope.lct'), join(dir, 'twice')], { keepGoing: true });
    expect(kept.errors).toEqual([{ input: join(dir, 'nope.lct'), message: 'no such file or directory' }]);
    expect(kept.sets).toHaveLength(1);
  });

  it('a bad header is a problem of its set, not an exception', async () => {
    const p = join(dir, 'bad', 'b.lct');
    mkdirSync(join(dir, 'bad'), { recursive: true });
    writeFileSync(p, new Uint8Array([0, 0, 0, 1, 0xc0]));
    const { sets } = await expandTraceInputs([p]);
    expect(sets[0]!.header).toBeNull();
    expect(sets[0]!.problem).toMatch(/^b\.lct: first frame is not a header/);
  });
});
