import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceParser } from '../read/trace-parser.ts';
import { parseSegmentName } from '../format/segment-name.ts';

const child = fileURLToPath(new URL('../test-support/record-until-killed.ts', import.meta.url));

/** Runs the recording child until it says "ready", then SIGKILLs it. */
async function recordAndKill(args: string[]): Promise<void> {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => proc.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
  });
  proc.kill('SIGKILL');
  await exited;
}

function read(path: string) {
  const bytes = new Uint8Array(readFileSync(path));
  const p = new TraceParser({ decodeArgs: true });
  const records = p.push(bytes);
  p.finish();
  return { bytes, header: p.header!, records, report: p.report };
}

/** The tick records' numbers, which must run 0, 1, 2, ... with no gap or repeat. */
const ticks = (records: ReturnType<typeof read>['records']) => records.filter((r) => r.qualname.endsWith('.tick')).map((r) => r.args().seq as number);

describe('a recording process killed with SIGKILL', () => {
  it('leaves a file whose complete records all read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtrace-kill-'));
    const path = join(dir, 'killed.lct');
    try {
      await recordAndKill([path]);
      const { bytes, header, records, report } = read(path);
      expect(header.sm_config_json).toBe('{"purpose": "sigkill-test"}');
      console.log(`SIGKILL test: ${records.length} records, ${bytes.length} bytes read back`);
      expect(records.length).toBeGreaterThan(0);
      expect(report.malformed).toBe(0);
      for (const r of records) if (!r.qualname.endsWith('.tick')) expect((r.args().keys as unknown[]).length).toBe(16);
      expect(ticks(records)).toEqual(ticks(records).map((_, i) => i));
      // Each write holds whole frames, but a kill can land inside a write(): then the tail is a
      // partial frame, reported as truncation at the very end, and every frame before it is intact.
      const t = report.truncated;
      if (t) {
        expect(t.offset + 4 + t.available).toBeGreaterThanOrEqual(bytes.length - 4);
        const last = records[records.length - 1]!;
        expect(last.offset + last.frameBytes).toBe(t.offset);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('while rotating every 64 KiB: every segment reads back with its header, and the records continue across seams', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtrace-kill-rot-'));
    const path = join(dir, 'rot.lct');
    try {
      await recordAndKill([path, String(64 * 1024)]);
      const segs = readdirSync(dir)
        .filter((n) => n.endsWith('.lct'))
        .map((n) => ({ n, seq: parseSegmentName(n)?.sequence ?? -1 }))
        .sort((a, b) => a.seq - b.seq);
      expect(segs.length).toBeGreaterThanOrEqual(3);
      expect(segs.map((s) => s.seq)).toEqual(segs.map((_, i) => i));
      const all: number[] = [];
      segs.forEach(({ n }, i) => {
        const { header, records, report } = read(join(dir, n));
        expect(header.sm_config_json, n).toBe('{"purpose": "sigkill-test"}');
        expect(report.malformed, n).toBe(0);
        // Only the segment being written when the kill came may end in a partial frame.
        if (i < segs.length - 1) expect(report.truncated, n).toBeNull();
        all.push(...ticks(records));
      });
      console.log(`SIGKILL during rotation: ${segs.length} segments, ${all.length} ticks read back`);
      expect(all).toEqual(all.map((_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
