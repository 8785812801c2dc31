import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TraceParser } from '../read/trace-parser.ts';
import { trafficEvents } from '../test-support/traffic.ts';
import { FileSink } from './file-sink.ts';
import { Recorder } from './recorder.ts';
import { MemorySink, type FrameSink } from './sink.ts';

const clock = { mono: () => 1000, wall: () => 1.7e9 };
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kvtrace-rot-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function parse(bytes: Uint8Array) {
  const p = new TraceParser({ decodeArgs: true });
  const records = p.push(bytes);
  p.finish();
  return { header: p.header!, records, report: p.report };
}

/** Segments in memory: rotate() starts a new MemorySink. */
class MemorySegments implements FrameSink {
  readonly segments: MemorySink[] = [new MemorySink()];
  write(b: Uint8Array): void {
    this.segments[this.segments.length - 1]!.write(b);
  }
  rotate(): void {
    this.segments[this.segments.length - 1]!.close();
    this.segments.push(new MemorySink());
  }
  sync(): void {}
  close(): void {
    this.segments[this.segments.length - 1]!.close();
  }
}

describe('rotation', () => {
  it('cuts at frame boundaries below the limit; every segment has the same header; nothing lost or repeated at the seams', () => {
    const dir = tmp();
    const path = join(dir, 'rot.lct');
    const max = 20_000;
    const sink = new FileSink(path);
    const r = new Recorder(sink, { clock, maxSegmentBytes: max, flushBytes: 16 * 1024 });
    r.attachConfig({ l1_size_gb: 1 });
    const events = trafficEvents({ records: 400, keysPerCall: 4, allMisses: true });
    for (const e of events) r.onEvent(e);
    r.close();
    const names = readdirSync(dir).sort();
    expect(names.length).toBeGreaterThan(5);
    expect(names).toEqual(sink.segments.map((p) => basename(p)).sort());
    expect(names[0]).toBe('rot.000001.lct');
    expect(names[names.length - 1]).toBe('rot.lct');
    expect(r.stats.segments).toBe(names.length);
    const ordered = sink.segments;
    expect(ordered[0]).toBe(path);
    const firstHeader = parse(new Uint8Array(readFileSync(path))).header;
    const all = ordered.flatMap((p) => {
      expect(statSync(p).size, p).toBeLessThanOrEqual(max);
      const { header, records, report } = parse(new Uint8Array(readFileSync(p)));
      expect(report).toMatchObject({ malformed: 0, truncated: null });
      expect(header).toEqual(firstHeader);
      expect(records.length).toBeGreaterThan(0);
      return records;
    });
    expect(firstHeader.digest_valid).toBe(true);
    expect(all.map((x) => x.t_wall)).toEqual(events.map((e) => e.tWall));
    expect(r.stats).toMatchObject({ recordsWritten: 400, droppedCount: 0 });
  });

  it('a record larger than the limit gets a segment of its own; a batch is split over several segments', () => {
    const sink = new MemorySegments();
    const r = new Recorder(sink, { clock, maxSegmentBytes: 600 });
    const events = trafficEvents({ records: 12, keysPerCall: 8, allMisses: true }); // ~1.3 KB records: each alone
    for (const e of events) r.onEvent(e);
    r.close();
    expect(sink.segments).toHaveLength(12);
    const got = sink.segments.map((s) => parse(s.bytes()));
    expect(got.map((g) => g.records.length)).toEqual(new Array(12).fill(1));
    expect(got.flatMap((g) => g.records.map((x) => x.t_wall))).toEqual(events.map((e) => e.tWall));
  });

  it('when the next segment cannot be created, records are dropped and counted, the current one never passes the limit, and it recovers', () => {
    const dir = tmp();
    const path = join(dir, 'r.lct');
    writeFileSync(join(dir, 'r.000001.lct'), 'someone else');
    const notices: string[] = [];
    const sink = new FileSink(path);
    const r = new Recorder(sink, { clock, maxSegmentBytes: 8_000, onNotice: (m) => notices.push(m) });
    r.attachConfig({});
    const events = trafficEvents({ records: 60, keysPerCall: 4, allMisses: true });
    for (const e of events.slice(0, 30)) r.onEvent(e);
    r.flush();
    expect(r.state).toBe('failing');
    expect(r.problem).toMatch(/cannot start the next segment: EEXIST/);
    expect(statSync(path).size).toBeLessThanOrEqual(8_000);
    rmSync(join(dir, 'r.000001.lct'));
    for (const e of events.slice(30)) r.onEvent(e);
    r.close();
    expect(r.stats.recordsWritten + r.stats.writeFailures).toBe(60);
    const read = sink.segments.flatMap((p) => parse(new Uint8Array(readFileSync(p))).records);
    expect(read.length).toBe(r.stats.recordsWritten);
    expect(notices).toEqual([expect.stringMatching(/rotation failed/), expect.stringMatching(/succeed again/)]);
  });

  it('needs a sink that rotates', () => {
    expect(() => new Recorder(new MemorySink(), { maxSegmentBytes: 1000 })).toThrow(/sink that rotates/);
  });
});
