// @vitest-environment happy-dom
import { TraceHeaderError, TraceParser, createDefaultRegistry } from '@kvtrace/trace';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInspector } from '../inspector.ts';
import type { MainMessage, OpenRequest, WorkerMessage } from '../load/protocol.ts';
import { batchOf, testTrace } from '../test-support/test-trace.ts';
import { ArgsCache } from '../model/args-cache.ts';
import { CallSpanCache } from '../model/call-spans.ts';
import { RecordStore } from '../model/record-store.ts';
import type { SessionSnapshot } from '../model/session.ts';
import { App } from './App.tsx';
import { CallTable, nearestPositionOf } from './CallTable.tsx';

/** Stands in for the module worker: parses in-process and answers with the same messages. */
class FakeWorker {
  onmessage: ((e: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((e: ErrorEvent) => void) | null = null;
  terminated = false;
  postMessage(req: MainMessage): void {
    // Analysis queries are covered by load/analysis.test.ts against the real host.
    if (req.type === 'open') void this.run(req);
  }
  terminate(): void {
    this.terminated = true;
  }
  private send(m: WorkerMessage): void {
    if (!this.terminated) this.onmessage?.({ data: m } as MessageEvent<WorkerMessage>);
  }
  private async run(req: OpenRequest): Promise<void> {
    const source = req.traces[0]?.files[0]?.source;
    if (req.traces.length !== 1 || req.traces[0]!.files.length !== 1 || source?.kind !== 'file') throw new Error('one file only (sets: load/set-input.test.ts and e2e/fleet.spec.ts)');
    const bytes = new Uint8Array(await source.file.arrayBuffer());
    try {
      const p = new TraceParser();
      p.push(bytes);
      p.finish();
      this.send({ type: 'header', header: p.header!, totalBytes: bytes.length, argsChecked: false });
      const { batch } = batchOf(bytes);
      this.send({ type: 'batch', batch, progress: { bytesRead: bytes.length, records: batch.count, malformed: 0 } });
      const r = p.report;
      this.send({ type: 'done', report: { ...r, argDecodeErrors: null } });
    } catch (e) {
      if (e instanceof TraceHeaderError) this.send({ type: 'failed', error: { kind: e.kind, message: e.message } });
      else throw e;
    }
  }
}

const setup = () => {
  const inspector = createInspector(() => new FakeWorker() as unknown as Worker);
  const view = render(<App inspector={inspector} />);
  const root = () => view.container.querySelector('.app')!;
  return { inspector, view, root };
};

// happy-dom has no layout: give every element a 800x600 box so the table renders a page of rows,
// and no server behind fetch (the server list then stays hidden, as under a static file server).
beforeAll(() => {
  const box = { x: 0, y: 0, top: 0, left: 0, right: 800, bottom: 600, width: 800, height: 600, toJSON: () => ({}) };
  vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect').mockReturnValue(box as DOMRect);
  for (const k of ['offsetHeight', 'clientHeight'] as const) vi.spyOn(HTMLElement.prototype, k, 'get').mockReturnValue(600);
  for (const k of ['offsetWidth', 'clientWidth'] as const) vi.spyOn(HTMLElement.prototype, k, 'get').mockReturnValue(800);
  vi.stubGlobal('fetch', () => Promise.reject(new Error('no server in unit tests')));
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});
afterEach(cleanup);

describe('App', () => {
  it('starts empty, then shows a dropped trace as an ARIA grid with its header', async () => {
    const { inspector, root } = setup();
    expect(root().getAttribute('data-state')).toBe('empty');
    expect(screen.getByText('Drop a .lct trace anywhere')).toBeTruthy();
    act(() => inspector.openFile(new File([testTrace(500).slice()], 'five-hundred.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('ready'));
    expect(root().getAttribute('data-records')).toBe('500');
    const grid = screen.getByRole('grid');
    expect(grid.getAttribute('aria-rowcount')).toBe('501');
    const rows = grid.querySelectorAll('.grid-body [role=row]');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows[0]!.getAttribute('aria-rowindex')).toBe('2');
    expect(rows[0]!.textContent).toContain('reserve_write');
    expect(screen.getByTestId('header-digest').textContent).toContain('no config recorded');
    // Arguments are read back from the File on demand.
    await waitFor(() => expect(rows[1]!.querySelector('.c-keys')!.textContent).toBe('2'));
    // Row 2 is a reserve_write: its layout_desc is shown (finish_write has only keys).
    fireEvent.click(rows[2]!);
    await waitFor(() => expect(screen.getByTestId('arg-tree')).toBeTruthy());
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('2');
    expect(screen.getByTestId('arg-tree').textContent).toContain('ObjectKey');
    expect(screen.getByTestId('arg-tree').textContent).toContain('float16');
    expect(screen.queryByTestId('arg-violation')).toBeNull();
  });

  it("says what LMCache would refuse in a call's arguments, at the value at fault", async () => {
    const { inspector, root } = setup();
    // An '@' in model_name: LMCache's ObjectKey refuses it (the recorder would not have written it).
    act(() => inspector.openFile(new File([testTrace(4, 2, 'llama@8b').slice()], 'refused.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('ready'));
    fireEvent.click(screen.getByRole('grid').querySelectorAll('.grid-body [role=row]')[1]!);
    await waitFor(() => expect(screen.getByTestId('arg-violation')).toBeTruthy());
    expect(screen.getByTestId('arg-violation').textContent).toMatch(/^LMCache would refuse this record keys\[0\]\.model_name contains "@"/);
    // The key holding it is opened down to the value, which carries the badge and the rule.
    const badge = screen.getByTestId('violation-badge');
    expect(badge.closest('.tree-line')!.querySelector('.tree-name')!.textContent).toBe('model_name');
    expect(badge.title).toContain('contains "@"');
    expect(screen.getAllByTestId('violation-badge')).toHaveLength(1);
  });

  it('moves with the keyboard, and the details follow the cursor', async () => {
    const { inspector, root } = setup();
    act(() => inspector.openFile(new File([testTrace(50).slice()], 'k.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('ready'));
    const grid = screen.getByRole('grid');
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('1');
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('2');
    fireEvent.keyDown(grid, { key: 'ArrowUp' });
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('1');
    fireEvent.keyDown(grid, { key: 'End' });
    // happy-dom sends no scroll event for a scrollTop set by script; a browser does, and the row is rendered.
    fireEvent.scroll(grid.querySelector('.grid-body')!);
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('49');
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-49');
  });

  it('shows a header error as a full page, and a truncated tail as a banner', async () => {
    const { inspector, root } = setup();
    act(() => inspector.openFile(new File([], 'empty.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('failed'));
    expect(screen.getByText('This file is empty')).toBeTruthy();
    expect(screen.getByTestId('failed-message').textContent).toBe('empty file: unexpected EOF reading frame length');
    const whole = testTrace(20);
    act(() => inspector.openFile(new File([whole.slice(0, whole.length - 5)], 'cut.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('partial'));
    expect(screen.getByTestId('truncated-banner').textContent).toMatch(/19 calls read; the frame at byte \d+ claims \d+ bytes, only \d+ remain/);
    expect(screen.getByRole('grid').getAttribute('aria-rowcount')).toBe('20');
  });
});

describe('CallTable keyboard cursor', () => {
  const table = (n: number) => {
    const store = new RecordStore();
    store.append(batchOf(testTrace(n)).batch);
    const args = new ArgsCache(store, createDefaultRegistry());
    const onSelect = vi.fn<(call: number) => void>();
    // The table is controlled: its cursor is the selection the page feeds back, as App does.
    let shown: Uint32Array | null = null;
    let selected: number | null = null;
    const props = { store, args, spans: new CallSpanCache(), version: 1, emptyText: 'no calls' };
    const draw = () => <CallTable {...props} rows={shown} count={shown === null ? n : shown.length} selected={selected} onSelect={select} />;
    const select = (call: number) => {
      onSelect(call);
      selected = call;
      view.rerender(draw());
    };
    const view = render(draw());
    const show = (rows: Uint32Array | null) => {
      shown = rows;
      view.rerender(draw());
    };
    return { grid: screen.getByRole('grid'), show, onSelect };
  };

  it('finds the nearest shown position of a hidden call', () => {
    const odd = Uint32Array.from([1, 3, 5, 9]);
    expect([0, 1, 4, 6, 7, 8, 100].map((c) => nearestPositionOf(odd, 4, c))).toEqual([0, 0, 1, 2, 2, 3, 3]);
    expect(nearestPositionOf(null, 10, 42)).toBe(9);
    expect(nearestPositionOf(new Uint32Array(0), 0, 3)).toBe(-1);
  });

  it('stays on the same call when the filter changes, and snaps to the nearest when it is hidden', () => {
    const { grid, show, onSelect } = table(100);
    for (let i = 0; i < 5; i++) fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-5');
    // Call 5 is now at position 2: the cursor follows the call, not the position.
    show(Uint32Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-5');
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-7');
    // Call 7 hidden by the next filter: the nearest shown call (6) takes the cursor.
    show(Uint32Array.from({ length: 50 }, (_, i) => 2 * i));
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-6');
    fireEvent.keyDown(grid, { key: 'Enter' });
    expect(onSelect).toHaveBeenLastCalledWith(6);
  });

  it('points aria-activedescendant only at a rendered row', () => {
    const { grid } = table(2000);
    fireEvent.keyDown(grid, { key: 'End' });
    // Not rendered until the scroller has moved (the browser's scroll event): no dangling id meanwhile.
    expect(grid.hasAttribute('aria-activedescendant')).toBe(false);
    fireEvent.scroll(grid.querySelector('.grid-body')!);
    expect(grid.getAttribute('aria-activedescendant')).toBe('call-row-1999');
    expect(document.getElementById('call-row-1999')).not.toBeNull();
    // Scrolled back to the top with the mouse: row 1999 is no longer rendered.
    const body = grid.querySelector<HTMLElement>('.grid-body')!;
    act(() => {
      body.scrollTop = 0;
      fireEvent.scroll(body);
    });
    expect(document.getElementById('call-row-1999')).toBeNull();
    expect(grid.hasAttribute('aria-activedescendant')).toBe(false);
  });
});

describe('live deep links', () => {
  it('keeps the methods a link names and applies them as they first appear', async () => {
    const { renderHook } = await import('@testing-library/react');
    const { AnalysisState } = await import('../model/analysis.ts');
    const { useViewUrl } = await import('./use-view-url.ts');
    const { parseViewParams } = await import('../model/view-state.ts');
    window.history.replaceState(null, '', '/?trace=t.lct&follow=1&methods=b,c');
    const link = parseViewParams(window.location.search);
    const analysis = new AnalysisState();
    const opened = { traces: ['t.lct'], url: null, follow: true };
    const session = (records: number) => ({ header: {}, state: 'loading', progress: { records } }) as unknown as SessionSnapshot;
    const { result, rerender } = renderHook((p: { records: number; methods: string[] }) => useViewUrl(opened, session(p.records), p.methods, analysis, analysis.getSnapshot()), {
      initialProps: { records: 0, methods: [] as string[] },
    });
    act(() => result.current.setPending(link));
    act(() => rerender({ records: 1, methods: ['x.a', 'x.b'] }));
    expect(analysis.getSnapshot().filters.methods).toEqual([1]);
    act(() => rerender({ records: 2, methods: ['x.a', 'x.b'] }));
    // "c" has not been seen yet, and is still in the link.
    expect(new URLSearchParams(window.location.search).get('methods')).toBe('b,c');
    act(() => rerender({ records: 3, methods: ['x.a', 'x.b', 'x.c'] }));
    expect(analysis.getSnapshot().filters.methods).toEqual([1, 2]);
    act(() => rerender({ records: 4, methods: ['x.a', 'x.b', 'x.c'] }));
    expect(new URLSearchParams(window.location.search).get('methods')).toBe('b,c');
  });
});

describe('Timeline view', () => {
  it('brings a new selection into view once, and lets the user pan away from it', async () => {
    const { Timeline } = await import('./timeline/Timeline.tsx');
    const store = new RecordStore();
    store.append(batchOf(testTrace(100)).batch);
    const draw = (selected: number | null) => (
      <Timeline store={store} methods={store.methods} count={100} version={1} rows={null} hiddenMethods={new Set()} window={null} selected={selected} marks={[]} slices={null} onBrush={() => undefined} onSelect={() => undefined} />
    );
    const view = render(draw(null));
    const timeline = screen.getByTestId('timeline');
    const shown = () => [Number(timeline.dataset.viewT0), Number(timeline.dataset.viewT1)] as const;
    // Calls are 1 ms apart from 0: zoomed in 4x, the view is 0.037 to 0.062 s.
    fireEvent.keyDown(timeline, { key: '+' });
    fireEvent.keyDown(timeline, { key: '+' });
    const [z0, z1] = shown();
    expect(z1 - z0).toBeCloseTo(0.099 / 4, 6);
    // Call 90 (t = 0.090) is outside: the view moves to it, same span, kept inside the trace.
    view.rerender(draw(90));
    expect(shown()[0]).toBeCloseTo(0.099 - (z1 - z0), 6);
    expect(shown()[1]).toBeCloseTo(0.099, 6);
    // Call 80 is inside that view: nothing moves.
    const moved = shown();
    view.rerender(draw(80));
    expect(shown()).toEqual(moved);
    // Panning away from the selection is allowed; a render with the same selection keeps the pan.
    fireEvent.keyDown(timeline, { key: 'ArrowLeft' });
    const panned = shown();
    expect(panned[0]).toBeLessThan(moved[0]);
    view.rerender(draw(80));
    expect(shown()).toEqual(panned);
  });
});

describe('Timeline brushing', () => {
  it('ends a drag when the pointer is cancelled, so no brush sticks to later moves', async () => {
    const { Timeline } = await import('./timeline/Timeline.tsx');
    const store = new RecordStore();
    store.append(batchOf(testTrace(100)).batch);
    const onBrush = vi.fn();
    const view = render(
      <Timeline store={store} methods={store.methods} count={100} version={1} rows={null} hiddenMethods={new Set()} window={null} selected={null} marks={[]} slices={null} onBrush={onBrush} onSelect={() => undefined} />,
    );
    const canvas = view.container.querySelector('canvas')!;
    canvas.setPointerCapture = () => undefined;
    fireEvent.pointerDown(canvas, { button: 0, clientX: 300, pointerId: 1 });
    fireEvent.pointerMove(canvas, { clientX: 500, pointerId: 1 });
    fireEvent.pointerCancel(canvas, { pointerId: 1 });
    fireEvent.pointerMove(canvas, { clientX: 600, pointerId: 1 });
    fireEvent.pointerUp(canvas, { clientX: 600, pointerId: 1 });
    expect(onBrush).not.toHaveBeenCalled();
    // Without the cancel, the same gesture brushes.
    fireEvent.pointerDown(canvas, { button: 0, clientX: 300, pointerId: 2 });
    fireEvent.pointerMove(canvas, { clientX: 500, pointerId: 2 });
    fireEvent.pointerUp(canvas, { clientX: 500, pointerId: 2 });
    expect(onBrush).toHaveBeenCalledTimes(1);
  });
});
