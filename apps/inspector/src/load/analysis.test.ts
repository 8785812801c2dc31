import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS } from '@kvtrace/trace';
import { AnalysisHost } from './analysis-host.ts';
import { AnalysisState } from '../model/analysis.ts';
import type { AnalysisPort, AnalysisRequest, AnswerOf } from '../model/queries.ts';
import { testTrace } from '../test-support/test-trace.ts';
import { density, keepInView, nearestCall, zoomAt, tickStep } from '../model/timeline.ts';
import { NO_FILTERS, parseViewParams, writeViewParams } from '../model/view-state.ts';

describe('view state in the URL', () => {
  it('round-trips every part and leaves other params alone', () => {
    const v = { traces: ['a b.lct'], follow: true, methods: ['reserve_write', 'finish_write'], t0: 0.5, t1: 1.25, text: 'hash:ab model:qwen', keyId: 7, selected: 42 };
    const s = writeViewParams('?theme=dark', v);
    expect(new URLSearchParams(s).get('theme')).toBe('dark');
    expect(parseViewParams(s)).toEqual(v);
  });
  it('keeps a set of traces as repeated trace= params, in order', () => {
    const v = { ...parseViewParams(''), traces: ['fleet-a.lct', 'fleet-b.lct', 'fleet-b.000001.lct'] };
    const s = writeViewParams('?trace=old.lct&q=x', v);
    expect(new URLSearchParams(s).getAll('trace')).toEqual(v.traces);
    expect(parseViewParams(s).traces).toEqual(v.traces);
    expect(parseViewParams('?trace=&trace=a.lct').traces).toEqual(['a.lct']);
  });
  it('drops empty parts and ignores garbage', () => {
    expect(writeViewParams('', { traces: [], follow: false, methods: null, t0: null, t1: null, text: '', keyId: null, selected: null })).toBe('');
    const p = parseViewParams('?t0=abc&key=-1&sel=1.5&methods=');
    // Every method hidden survives the round trip: `methods=` is written, and read back as [].
    const none = writeViewParams('', { ...parseViewParams(''), methods: [] });
    expect(none).toBe('?methods=');
    expect(parseViewParams(none).methods).toEqual([]);
    expect([p.t0, p.keyId, p.selected, p.methods]).toEqual([null, null, null, []]);
  });
});

describe('timeline arithmetic', () => {
  const t = Float64Array.from([0, 0.1, 0.2, 0.3, 0.9, 1]);
  const m = Uint16Array.from([0, 1, 0, 1, 0, 1]);
  it('counts calls per lane and column, only the shown ones with rows', () => {
    const d = density(t, m, 6, null, 2, { t0: 0, t1: 1 }, 10);
    expect(d.total.reduce((a, b) => a + b, 0)).toBe(6);
    expect(d.counts[0]).toBe(1); // lane 0, column 0
    expect(d.counts[10 + 9]).toBe(1); // lane 1, t=1 in the last column
    const f = density(t, m, 6, Uint32Array.from([1, 3]), 2, { t0: 0, t1: 1 }, 10);
    expect(f.total.reduce((a, b) => a + b, 0)).toBe(2);
  });
  it('zooms around a point, clamps to the extent, keeps a time in view', () => {
    const ext = { t0: 0, t1: 10 };
    const z = zoomAt({ t0: 0, t1: 10 }, 5, 0.5, ext);
    expect(z).toEqual({ t0: 2.5, t1: 7.5 });
    expect(zoomAt(z, 5, 100, ext)).toEqual(ext);
    expect(keepInView({ t0: 0, t1: 2 }, 9.5, ext)).toEqual({ t0: 8, t1: 10 });
    expect(tickStep(1, 5)).toBe(0.2);
  });
  it('hit-tests the nearest shown call in a lane', () => {
    expect(nearestCall(t, m, 6, null, 0, 0.85, 0.1)).toBe(4);
    expect(nearestCall(t, m, 6, null, 1, 0.85, 0.1)).toBe(-1);
    expect(nearestCall(t, m, 6, Uint32Array.from([5]), -1, 0.85, 0.2)).toBe(5);
  });
});

/** The worker's host, in-process, behind a port: what the real worker does minus postMessage. */
function hostPort(n: number): { port: AnalysisPort; host: AnalysisHost; calls: AnalysisRequest[] } {
  const bytes = testTrace(n);
  const host = new AnalysisHost({ read: async (s, e) => bytes.subarray(s, e) });
  const calls: AnalysisRequest[] = [];
  return {
    host,
    calls,
    port: {
      request: async <R extends AnalysisRequest>(req: R) => {
        calls.push(req);
        return (await host.handle(req)).answer as AnswerOf[R['kind']];
      },
    },
  };
}

async function feed(host: AnalysisHost, n: number): Promise<void> {
  const { TraceParser } = await import('@kvtrace/trace');
  const parser = new TraceParser();
  for (const r of parser.push(testTrace(n))) host.add(r);
}

describe('analysis host and state', () => {
  it('filters by method and key, exports CSV with one header row across chunks', async () => {
    const { host, port } = hostPort(5000);
    await feed(host, 5000);
    const rows = await port.request({ kind: 'filter', query: { methods: [0] } });
    expect(rows.length).toBe(2500);
    expect(rows[1]).toBe(2);
    const blob = await port.request({ kind: 'export', format: 'csv', query: { methods: [1], t1: 2.5 }, name: 't' });
    const lines = (await blob.text()).trim().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines.filter((l) => l === CSV_COLUMNS.join(',')).length).toBe(1);
    expect(lines.length).toBe(1 + 1250);
    const jsonl = await (await port.request({ kind: 'export', format: 'jsonl', query: { methods: null, t0: 0, t1: 0.0015 }, name: 't' })).text();
    expect(jsonl.trim().split('\n').map((l) => (JSON.parse(l) as { call: number }).call)).toEqual([0, 1]);
    const chrome = JSON.parse(await (await port.request({ kind: 'export', format: 'chrome', query: null, name: 't' })).text()) as { traceEvents: unknown[] };
    expect(chrome.traceEvents.length).toBeGreaterThan(5000);
  });

  it('drops a superseded filter answer and follows a key', async () => {
    const { host, port } = hostPort(100);
    await feed(host, 100);
    const st = new AnalysisState();
    st.attach(port);
    st.onIndex({ calls: 100, total: 100, done: true, secondPass: false });
    st.setFilters({ methods: [0] });
    st.setFilters({ methods: [1] });
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    expect(st.getSnapshot().rows?.[0]).toBe(1);
    const h = new Uint8Array(32).fill(3);
    const id = await st.followKey({ chunkHash: h, modelName: 'model-a', kvRank: 0x01000100, objectGroupId: 0, cacheSalt: '' }, 2);
    expect(id).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 0));
    // Key 0x03.. is in calls 2 (keys 2,3) and 3 (keys 3,4); methods [1] keeps the odd one.
    expect(Array.from(st.getSnapshot().rows ?? [])).toEqual([3]);
    expect(st.getSnapshot().key?.timeline.calls.length).toBe(2);
    st.clearFilters();
    expect(st.getSnapshot().filters).toEqual(NO_FILTERS);
    expect(st.getSnapshot().rows).toBeNull();
  });

  it('reports a failed query instead of rejecting, and drops the rows it cannot vouch for', async () => {
    const st = new AnalysisState();
    st.attach({ request: () => Promise.reject(new Error('the trace was closed')) });
    // followKey is fired and forgotten by a click: it must resolve, with the error in the snapshot.
    const h = new Uint8Array(32).fill(3);
    await expect(st.followKey({ chunkHash: h, modelName: 'm', kvRank: 0, objectGroupId: 0, cacheSalt: '' }, 0)).resolves.toBe(-1);
    expect(st.getSnapshot().error).toContain('the trace was closed');
    st.setFilters({ methods: [0] });
    await new Promise((r) => setTimeout(r, 0));
    expect(st.getSnapshot()).toMatchObject({ rows: null, pending: false });
    expect(st.getSnapshot().error).toContain('the trace was closed');
  });
});
