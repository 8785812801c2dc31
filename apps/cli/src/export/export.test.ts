import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MemoryLayoutDesc, ObjectKey, PrefetchMode, RawTagged, TrimPolicy, Tuple } from '@kvtrace/trace';
import { chunkedStream, fixtureBytes, manifest } from '../../../../libs/trace/src/test-support/fixtures.ts';
import { createFormat, exportTrace, type ExportFormatName } from './export-trace.ts';
import { TextSink } from './text-sink.ts';
import { toJson } from './to-json.ts';

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
  const result = await exportTrace(chunkedStream(fixtureBytes(file), [777]), createFormat(format), sink, file);
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
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') q = false;
      else field += c;
    } else if (c === '"') q = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += c;
  }
  return rows;
}

const m = manifest();
type Ev = { name: string; ph: string; ts: number; dur?: number; tid: number; args: Record<string, unknown> };

describe('toJson', () => {
  it('renders decoded values with LMCache field names, bytes as hex, unknown tags raw', () => {
    const key = new ObjectKey(new Uint8Array([0, 1, 0xab]), 'm', 7, 1, 'salt');
    expect(toJson(key)).toEqual({ chunk_hash: '0001ab', model_name: 'm', kv_rank: 7, object_group_id: 1, cache_salt: 'salt' });
    expect(toJson(new MemoryLayoutDesc([[2, 3]], ['torch.bfloat16']))).toEqual({ shapes: [[2, 3]], dtypes: ['torch.bfloat16'] });
    expect(toJson([TrimPolicy.SPARSE, PrefetchMode.WARM])).toEqual(['SPARSE', 'WARM']);
    expect(toJson(new RawTagged('Mystery', { b: new Uint8Array([255]) }))).toEqual({ __t__: 'Mystery', v: { b: 'ff' } });
    expect(toJson(new Tuple([1, 'a']))).toEqual([1, 'a']);
    expect(toJson(new Set([1]))).toEqual([1]);
    expect(toJson(new Map([[1, NaN]]))).toEqual({ 1: 'NaN' });
    expect(toJson(2n ** 64n)).toBe('18446744073709551616');
  });
});

describe('export on the LMCache fixtures', () => {
  it('jsonl: one object per record, counts per qualname as in MANIFEST', async () => {
    const { text, result } = await exportFixture('workload-small.lct', 'jsonl');
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { qualname: string; index: number; args: { keys?: { chunk_hash: string }[] } });
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
      expect(rows[0]).toEqual(['index', 'offset', 't_mono', 't_wall', 'qualname', 'method', 'args', 'args_error']);
      expect(rows.length - 1).toBe(m[file]!.records);
      for (const r of rows.slice(1)) {
        expect(r).toHaveLength(8);
        expect(() => JSON.parse(r[6]!) as unknown).not.toThrow();
      }
      expect(result.report.malformed).toBe(m[file]!.malformed);
    });
  }

  it('chrome: valid trace-event JSON, reads as spans that nest per thread, named threads', async () => {
    const { text } = await exportFixture('workload-small.lct', 'chrome');
    const doc = JSON.parse(text) as { traceEvents: Ev[] };
    const ev = doc.traceEvents;
    const by = (ph: string) => ev.filter((e) => e.ph === ph);
    const pairs = (m['workload-small.lct']!.by_qualname as Record<string, number>)['lmcache.v1.distributed.storage_manager.StorageManager.read_prefetched_results.__enter__']!;
    expect(by('X')).toHaveLength(pairs);
    expect(by('i')).toHaveLength(300 - 2 * pairs);
    const threads = new Map(ev.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name as string]));
    expect([...threads.values()]).toContain('read_prefetched_results');
    for (const e of [...by('X'), ...by('i')]) {
      expect(threads.has(e.tid)).toBe(true);
      expect(e.ts).toBeGreaterThanOrEqual(0);
    }
    const perTid = new Map<number, Ev[]>();
    for (const e of by('X')) perTid.set(e.tid, [...(perTid.get(e.tid) ?? []), e]);
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
