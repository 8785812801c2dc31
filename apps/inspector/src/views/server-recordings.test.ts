import { describe, expect, it } from 'vitest';
import { openRequestOf, serverRecordings, type ServerTrace } from './server-recordings.ts';

const entry = (name: string, over: Partial<ServerTrace> = {}): ServerTrace => ({ name, size: 100, mtime: '2026-04-16T12:00:00Z', recording: false, header: null, error: null, ...over });

describe('the server listing as recordings', () => {
  const listing = [
    entry('live.000002.lct', { segment_of: 'live.lct', segment: 2, recording: true, mtime: '2026-04-16T12:05:00Z' }),
    entry('live.lct', { segment_of: 'live.lct', segment: 0, size: 1000 }),
    entry('live.000001.lct', { segment_of: 'live.lct', segment: 1, size: 1000, error: 'truncated' }),
    entry('old.lct', { segment_of: 'old.lct', segment: 0 }),
    entry('plain.lct'),
  ];

  it('groups rotated segments into one row, in sequence, summing sizes; the listing order stays', () => {
    const rs = serverRecordings(listing);
    expect(rs.map((r) => [r.name, r.files.map((f) => f.name), r.size, r.recording, r.error])).toEqual([
      ['live.lct', ['live.lct', 'live.000001.lct', 'live.000002.lct'], 2100, true, 'truncated'],
      ['old.lct', ['old.lct'], 100, false, null],
      ['plain.lct', ['plain.lct'], 100, false, null],
    ]);
    expect(rs[0]!.mtime).toBe('2026-04-16T12:05:00Z');
  });

  it('opens every file of what is chosen; live only for one recording being recorded (its growing file without a size)', () => {
    const [live, old, plain] = serverRecordings(listing);
    expect(openRequestOf([live!])).toEqual({
      files: [
        { name: 'live.lct', size: 1000 },
        { name: 'live.000001.lct', size: 1000 },
        { name: 'live.000002.lct' },
      ],
      follow: true,
    });
    expect(openRequestOf([live!, old!]).follow).toBe(false);
    expect(openRequestOf([old!, plain!])).toEqual({
      files: [
        { name: 'old.lct', size: 100 },
        { name: 'plain.lct', size: 100 },
      ],
      follow: false,
    });
  });
});
