import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TraceParser } from '../read/trace-parser.ts';

const child = fileURLToPath(new URL('../test-support/record-until-killed.ts', import.meta.url));

describe('a recording process killed with SIGKILL', () => {
  it('leaves a file whose complete records all read back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvtrace-kill-'));
    const path = join(dir, 'killed.lct');
    try {
      const proc = spawn(process.execPath, ['--import', 'tsx', child, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        proc.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) setTimeout(resolve, 100);
        });
        proc.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      proc.kill('SIGKILL');
      await new Promise((r) => proc.once('exit', r));

      const bytes = new Uint8Array(readFileSync(path));
      const p = new TraceParser({ decodeArgs: true });
      const records = p.push(bytes);
      p.finish();
      expect(p.header!.sm_config_json).toBe('{"purpose": "sigkill-test"}');
      console.log(`SIGKILL test: ${records.length} records, ${bytes.length} bytes read back`);
      expect(records.length).toBeGreaterThan(500);
      expect(p.report.malformed).toBe(0);
      for (const r of records) expect((r.args().keys as unknown[]).length).toBe(16);
      // Each write holds whole frames, but a kill can land inside a write(): then the tail is a
      // partial frame, reported as truncation at the very end, and every frame before it is intact.
      const t = p.report.truncated;
      if (t) {
        expect(t.offset + 4 + t.available).toBeGreaterThanOrEqual(bytes.length - 4);
        const last = records[records.length - 1]!;
        expect(last.offset + last.frameBytes).toBe(t.offset);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
