/**
 * One export, two writers: `kvtrace export` (apps/cli) and the inspector's Export menu (its
 * worker's AnalysisHost) must write the same bytes for the same trace and options (issue 9: one CSV
 * schema, one JSON-lines row, one Chrome export). This test lives with the repository tools
 * because it drives both apps.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TraceParser } from '@kvtrace/trace';
import { chunkedStream, fixtureBytes, trafficTrace } from '@kvtrace/trace/test-support';
import { createFormat, exportTrace, type ExportFormatName } from '@kvtrace/cli/export';
import { TextSink } from '@kvtrace/cli/text-sink';
import { AnalysisHost } from '@kvtrace/inspector/analysis-host';

class Collect extends Writable {
  text = '';
  override _write(chunk: string, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk;
    cb();
  }
}

async function cli(bytes: Uint8Array, format: ExportFormatName, name: string): Promise<string> {
  const out = new Collect({ decodeStrings: false });
  const sink = new TextSink(out, false);
  await exportTrace(() => chunkedStream(bytes, [4096]), createFormat(format), sink, name);
  await sink.close();
  return out.text;
}

async function inspector(bytes: Uint8Array, format: ExportFormatName, name: string): Promise<string> {
  const host = new AnalysisHost({ read: async (s, e) => bytes.subarray(s, e) });
  const p = new TraceParser();
  const recs = p.push(bytes);
  p.finish();
  host.header = p.header;
  for (const r of recs) host.add(r);
  const { answer } = await host.handle({ kind: 'export', format, query: null, name });
  return (answer as Blob).text();
}

const traces: [string, () => Uint8Array][] = [
  ['workload-small.lct', () => fixtureBytes('workload-small.lct')],
  ['unknown-tag.lct', () => fixtureBytes('unknown-tag.lct')],
  ['malformed-middle.lct', () => fixtureBytes('malformed-middle.lct')],
  ['traffic.lct', () => trafficTrace({ seed: 11, requests: 120, concurrency: 6, keysPerCall: [4, 12] }).bytes],
];

describe('kvtrace export and the inspector write the same bytes', () => {
  for (const [name, bytes] of traces) {
    for (const format of ['csv', 'jsonl', 'chrome'] as const) {
      it(`${format} of ${name}`, async () => {
        const b = bytes();
        const [a, c] = await Promise.all([cli(b, format, name), inspector(b, format, name)]);
        expect(a.length).toBeGreaterThan(100);
        expect(c).toBe(a);
      });
    }
  }
});
