import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '@kvtrace/trace';
import { chunkedStream, fixtureBytes, manifest } from '@kvtrace/trace/test-support';
import { createFormat, exportTrace, type ExportFormatName } from './export-trace.ts';
import { TextSink } from './text-sink.ts';

/** A Writable that keeps what it is given and, when slow, holds each write for a tick. */
class Collect extends Writable {
  text = '';
  maxBuffered = 0;
  constructor(private readonly slow = false) {
    super({ highWaterMark: 4096, decodeStrings: false });
  }
  override _write(chunk: string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.text += chunk;
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    if (this.slow) setTimeout(cb, 0);
    else cb();
  }
}

async function exportFixture(file: string, format: ExportFormatName, out = new Collect(), flushChars?: number) {
  const sink = new TextSink(out, false, flushChars);
  const result = await exportTrace(() => chunkedStream(fixtureBytes(file), [777]), createFormat(format), sink, file);
  await sink.close();
  return { result, text: out.text, out };
}

/** RFC 4180 rows (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      }
      else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

const m = manifest();
type Ev = { name: string; ph: string; ts: number; dur?: number; tid: number; args: Record<string, unknown> };

describe('export on the LMCache fixtures', () => {
  it('jsonl: one object per record, counts per qualname as in MANIFEST', async () => {
    const { text, result } = await exportFixture('workload-small.lct', 'jsonl');
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { qualname: string; call: number; args: { keys?: { chunk_hash: string }[] } });
    expect(lines).toHaveLength(300);
    expect(result.records).toBe(300);
    const counts: Record<string, number> = {};
    for (const l of lines) counts[l.qualname] = (counts[l.qualname] ?? 0) + 1;
    expect(counts).toEqual(m['workload-small.lct']!.by_qualname);
    expect(lines[0]!.args.keys![0]!.chunk_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('jsonl keeps unknown tags as {__t__, v}', async () => {
    const { text } = await exportFixture('unknown-tag.lct', 'jsonl');
    expect(text).toMatch(/"__t__":"/);
    expect(text.trimEnd().split('\n')).toHaveLength(m['unknown-tag.lct']!.records as number);
  });

  for (const file of ['truncated-body.lct', 'truncated-prefix.lct', 'malformed-middle.lct', 'v1.lct', 'header-only.lct']) {
    it(`csv of ${file}: a header row and one row per readable record`, async () => {
      const { text, result } = await exportFixture(file, 'csv');
      const rows = parseCsv(text);
      expect(rows[0]).toEqual([...CSV_COLUMNS]);
      expect(rows.length - 1).toBe(m[file]!.records);
      const args = CSV_COLUMNS.indexOf('args');
      for (const r of rows.slice(1)) {
        expect(r).toHaveLength(CSV_COLUMNS.length);
        expect(() => JSON.parse(r[args]!) as unknown).not.toThrow();
      }
      expect(result.report.malformed).toBe(m[file]!.malformed);
    });
  }

  it('chrome: valid trace-event JSON, every call an instant with its arguments, request spans that nest per thread', async () => {
    const { text } = await exportFixture('workload-small.lct', 'chrome');
    const doc = JSON.parse(text) as { traceEvents: Ev[] };
    const ev = doc.traceEvents;
    const by = (ph: string) => ev.filter((e) => e.ph === ph);
    const q = (name: string) => (m['workload-small.lct']!.by_qualname as Record<string, number>)[`lmcache.v1.distributed.storage_manager.StorageManager.${name}`]!;
    expect(by('i')).toHaveLength(300);
    expect(by('i').every((e) => typeof e.args.args === 'object')).toBe(true);
    const requests = ev.filter((e) => e.ph === 'X' && (e as { cat?: string }).cat === 'request');
    expect(requests).toHaveLength(q('submit_prefetch_task') + q('reserve_write'));
    const scopes = ev.filter((e) => e.ph === 'X' && e.name === 'read_prefetched_results');
    expect(scopes).toHaveLength(q('read_prefetched_results.__enter__'));
    const threads = new Map(ev.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name as string]));
    for (const e of [...by('X'), ...by('i')]) {
      expect(threads.has(e.tid)).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(0);
    }
    const perTid = new Map<number, Ev[]>();
    for (const e of requests) perTid.set(e.tid, [...(perTid.get(e.tid) ?? []), e]);
    for (const spans of perTid.values()) {
      spans.sort((a, b) => a.ts - b.ts);
      for (let i = 1; i < spans.length; i++) expect(spans[i]!.ts).toBeGreaterThanOrEqual(spans[i - 1]!.ts + spans[i - 1]!.dur!);
    }
  });

  it('waits for drain: a slow consumer never has more than one flush buffered past its high-water mark', async () => {
    const out = new Collect(true);
    const { text } = await exportFixture('workload-small.lct', 'jsonl', out, 2048);
    expect(text.trimEnd().split('\n')).toHaveLength(300);
    // One flush may exceed the mark (a record is ~4 KB); waiting for drain keeps it to one.
    expect(out.maxBuffered).toBeLessThan(4096 + 2048 + 16 * 1024);
  });
});
