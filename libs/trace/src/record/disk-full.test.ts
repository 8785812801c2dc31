/**
 * A real full disk: a 512 KiB tmpfs (root only; where mounting is not permitted the test says so
 * and is skipped, the injected-ENOSPC tests in file-sink.test.ts cover the same paths).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceParser } from '../read/trace-parser.ts';
import { trafficEvents } from '../test-support/traffic.ts';
import { setupTracing } from './setup.ts';

const mountPoint = mkdtempSync(join(tmpdir(), 'kvtrace-tmpfs-'));
const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mountPoint], { encoding: 'utf8' });
const mounted = mount.status === 0;
if (!mounted) console.log(`disk-full test skipped: cannot mount a tmpfs here (${(mount.stderr || mount.error?.message || 'not root').trim()}); file-sink.test.ts injects ENOSPC instead`);

afterAll(() => {
  if (mounted) spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

describe.skipIf(!mounted)('recording onto a tmpfs that fills up', () => {
  it('never leaves a torn frame, says full and recovered once each, and resumes when space returns', () => {
    const filler = join(mountPoint, 'filler');
    writeFileSync(filler, Buffer.alloc(400 * 1024));
    const path = join(mountPoint, 'full.lct');
    const notices: string[] = [];
    const session = setupTracing({ path, config: { purpose: 'disk-full' }, onNotice: (m) => notices.push(m) });
    const r = session.recorder;
    const events = trafficEvents({ records: 400, keysPerCall: 16, allMisses: true }); // ~2.6 KB each: about 1 MB, twice what fits
    for (const e of events.slice(0, 200)) r.onEvent(e);
    r.flush();
    expect(r.state).toBe('failing');
    expect(r.problem).toMatch(/ENOSPC/);
    expect(statSync(path).size).toBe(session.sink.committedBytes);
    const before = r.stats.recordsWritten;
    unlinkSync(filler);
    for (const e of events.slice(200, 260)) r.onEvent(e);
    session.close();
    const p = new TraceParser({ decodeArgs: true });
    const records = p.push(new Uint8Array(readFileSync(path)));
    p.finish();
    expect(p.report).toMatchObject({ malformed: 0, truncated: null });
    expect(records.length).toBe(r.stats.recordsWritten);
    expect(r.stats.recordsWritten).toBe(before + 60);
    expect(r.stats.writeFailures).toBe(200 - before);
    expect(records.slice(before).map((x) => x.t_wall)).toEqual(events.slice(200, 260).map((e) => e.tWall));
    expect(notices).toEqual([expect.stringMatching(/fail \(ENOSPC/), expect.stringMatching(/succeed again; \d+ records were dropped while they failed/)]);
  });
});
