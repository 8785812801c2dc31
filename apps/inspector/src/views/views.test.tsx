// @vitest-environment happy-dom
import { TraceHeaderError, TraceParser } from '@kvtrace/trace';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createInspector } from '../inspector.ts';
import type { MainMessage, OpenRequest, WorkerMessage } from '../load/protocol.ts';
import { batchOf, testTrace } from '../model/test-trace.ts';
import { App } from './App.tsx';

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
    if (req.source.kind !== 'file') throw new Error('file sources only');
    const bytes = new Uint8Array(await req.source.file.arrayBuffer());
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

// happy-dom has no layout: give every element a 800x600 box so the virtualizer renders a page of rows,
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
    fireEvent.click(rows[3]!);
    await waitFor(() => expect(screen.getByTestId('arg-tree')).toBeTruthy());
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('3');
    expect(screen.getByTestId('arg-tree').textContent).toContain('ObjectKey');
    expect(screen.getByTestId('arg-tree').textContent).toContain('float16');
  });

  it('moves with the keyboard and selects with Enter', async () => {
    const { inspector, root } = setup();
    act(() => inspector.openFile(new File([testTrace(50).slice()], 'k.lct')));
    await waitFor(() => expect(root().getAttribute('data-state')).toBe('ready'));
    const grid = screen.getByRole('grid');
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'Enter' });
    expect(screen.getByTestId('arg-view').getAttribute('data-index')).toBe('2');
    fireEvent.keyDown(grid, { key: 'End' });
    fireEvent.keyDown(grid, { key: 'Enter' });
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
