import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, ftruncateSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceParser } from '../read/trace-parser.ts';
import { trafficEvents } from '../test-support/traffic.ts';
import { FileSink, type PositionalWrite } from './file-sink.ts';
import { Recorder } from './recorder.ts';

const clock = { mono: () => 1000, wall: () => 1.7e9 };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kvtrace-sink-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function parseFile(path: string) {
  const p = new TraceParser({ decodeArgs: true });
  const records = p.push(new Uint8Array(readFileSync(path)));
  p.finish();
  return { header: p.header!, records, report: p.report };
}

const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** A disk that holds `capacity` bytes: a write beyond it lands short, then fails with ENOSPC. */
function smallDisk(capacity: { bytes: number }): PositionalWrite {
  return (fd, b, off, len, pos) => {
    const room = capacity.bytes - pos;
    if (room <= 0) throw enospc();
    return writeSync(fd, b, off, Math.min(len, room), pos);
  };
}

describe('FileSink', () => {
  it('a short write then ENOSPC is truncated back to the last frame boundary; writes resume there when space returns', () => {
    const path = join(tmp(), 'full.lct');
    const disk = { bytes: 40_000 };
    const notices: string[] = [];
    const sink = new FileSink(path, { write: smallDisk(disk) });
    const r = new Recorder(sink, { clock, onNotice: (m) => notices.push(m), flushBytes: 8 * 1024 });
    r.attachConfig({ purpose: 'disk-full' });
    const events = trafficEvents({ records: 300, keysPerCall: 16, allMisses: true });
    for (const e of events.slice(0, 100)) r.onEvent(e);
    r.flush();
    // The disk filled during these: every write that did not fit was removed whole.
    expect(r.state).toBe('failing');
    expect(statSync(path).size).toBe(sink.committedBytes);
    expect(parseFile(path).report.truncated).toBeNull();
    const writtenWhileFull = r.stats.recordsWritten;
    expect(r.stats.writeFailures).toBe(100 - writtenWhileFull);
    disk.bytes = Infinity;
    for (const e of events.slice(100)) r.onEvent(e);
    r.close();
    expect(r.state).toBe('closed');
    expect(r.problem).toBeNull();
    const { records, report } = parseFile(path);
    expect(report.malformed).toBe(0);
    expect(report.truncated).toBeNull();
    expect(records.length).toBe(r.stats.recordsWritten);
    expect(records.length).toBe(300 - r.stats.writeFailures);
    // The records after the gap are the ones sent after space returned, in order.
    expect(records.slice(writtenWhileFull).map((x) => x.t_wall)).toEqual(events.slice(100).map((e) => e.tWall));
    expect(notices).toEqual([expect.stringMatching(/fail \(ENOSPC/), expect.stringMatching(/succeed again; \d+ records were dropped/)]);
  });

  it('when even the truncation fails, the next write overwrites the torn bytes and cuts the file after itself', () => {
    const path = join(tmp(), 'torn.lct');
    const disk = { bytes: 30_000 };
    let truncateWorks = false;
    const sink = new FileSink(path, {
      write: smallDisk(disk),
      truncate: (fd, len) => {
        if (!truncateWorks) throw Object.assign(new Error('EIO'), { code: 'EIO' });
        ftruncateSync(fd, len);
      },
    });
    const r = new Recorder(sink, { clock, flushBytes: 4096 });
    r.attachConfig({});
    const events = trafficEvents({ records: 60, keysPerCall: 16, allMisses: true });
    for (const e of events.slice(0, 30)) r.onEvent(e);
    r.flush();
    expect(statSync(path).size).toBeGreaterThan(sink.committedBytes); // a torn tail is on disk
    disk.bytes = Infinity;
    truncateWorks = true;
    for (const e of events.slice(30, 31)) r.onEvent(e);
    r.close();
    expect(statSync(path).size).toBe(sink.committedBytes);
    const { records, report } = parseFile(path);
    expect(report).toMatchObject({ malformed: 0, truncated: null });
    expect(records.length).toBe(r.stats.recordsWritten);
  });

  it('publishes the file only once its first write landed; refuses to overwrite an existing trace', () => {
    const dir = tmp();
    const path = join(dir, 'a.lct');
    const sink = new FileSink(path);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dir)).toEqual([expect.stringMatching(/^\.a\.lct\.partial-/)]);
    sink.write(new Uint8Array([0, 0, 0, 0]));
    expect(readdirSync(dir)).toEqual(['a.lct']);
    sink.close();
    writeFileSync(join(dir, 'b.lct'), 'keep me');
    expect(() => new FileSink(join(dir, 'b.lct'))).toThrow(/EEXIST/);
    expect(readFileSync(join(dir, 'b.lct'), 'utf8')).toBe('keep me');
    // Never written: closing leaves nothing.
    new FileSink(join(dir, 'c.lct')).close();
    expect(readdirSync(dir).sort()).toEqual(['a.lct', 'b.lct']);
  });

  it('health() says when the file was deleted or moved away', () => {
    const dir = tmp();
    const a = new FileSink(join(dir, 'a.lct'));
    a.write(new Uint8Array(4));
    expect(a.health()).toBeNull();
    rmSync(join(dir, 'a.lct'));
    expect(a.health()).toMatch(/a\.lct was deleted while recording/);
    a.close();
    const b = new FileSink(join(dir, 'b.lct'));
    b.write(new Uint8Array(4));
    renameSync(join(dir, 'b.lct'), join(dir, 'moved.lct'));
    expect(b.health()).toMatch(/b\.lct was moved or replaced/);
    b.close();
  });

  it('a recorder stops, once and saying why, when its file is deleted', () => {
    const dir = tmp();
    const notices: string[] = [];
    const sink = new FileSink(join(dir, 'gone.lct'));
    const r = new Recorder(sink, { clock, onNotice: (m) => notices.push(m) });
    r.attachConfig({});
    const events = trafficEvents({ records: 20, keysPerCall: 16, allMisses: true });
    for (const e of events.slice(0, 10)) r.onEvent(e);
    r.flush();
    rmSync(dir, { recursive: true, force: true });
    for (const e of events.slice(10)) r.onEvent(e);
    r.flush();
    expect(r.state).toBe('closed');
    expect(r.problem).toMatch(/gone\.lct was deleted while recording/);
    r.onEvent(events[0]!);
    r.close();
    expect(r.stats).toMatchObject({ recordsWritten: 10, writeFailures: 10, afterClose: 1 });
    expect(notices).toEqual([expect.stringMatching(/recording stopped: the trace file .*gone\.lct was deleted.*10 records had been written to it, 10 pending ones were dropped/)]);
  });
});
