import { describe, expect, it } from 'vitest';
import { formatBytes, Progress } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  return { isTTY, writes, write: (s: string | Uint8Array) => (writes.push(String(s)), true) };
}

describe('Progress', () => {
  it('draws on a terminal, at most every 100 ms (a fake clock), and clears its line', () => {
    let now = 0;
    const out = fakeStream(true);
    const p = new Progress('info', 1000, out, () => now);
    p.update(10);
    expect(out.writes).toEqual([]);
    now = 150;
    p.update(500, 'x.lct');
    expect(out.writes).toHaveLength(1);
    expect(out.writes[0]).toBe(`\r\x1b[2Kinfo [${'#'.repeat(15)}${'.'.repeat(15)}]  50% 500 B of 1.00 kB  x.lct`);
    now = 200;
    p.update(600);
    expect(out.writes).toHaveLength(1);
    now = 260;
    p.update(1000);
    expect(out.writes[1]).toContain('100%');
    p.clear();
    expect(out.writes[2]).toBe('\r\x1b[2K');
  });

  it('writes nothing when standard error is not a terminal (pipes, files, CI logs)', () => {
    let now = 0;
    const out = fakeStream(false);
    const p = new Progress('info', 1000, out, () => now);
    now = 1000;
    p.update(500);
    p.clear();
    expect(out.writes).toEqual([]);
  });

  it('formats bytes in decimal units with three significant digits', () => {
    expect([999, 1000, 12_345, 793_133_595, 6.02e9].map(formatBytes)).toEqual(['999 B', '1.00 kB', '12.3 kB', '793 MB', '6.02 GB']);
  });
});
