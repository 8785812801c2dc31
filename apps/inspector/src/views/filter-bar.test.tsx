// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createRef } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnalysisState, type AnalysisSnapshot } from '../model/analysis.ts';
import type { Filters } from '../model/view-state.ts';
import { FilterBar } from './FilterBar.tsx';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const METHODS = ['lmcache.v1.distributed.storage_manager.StorageManager.reserve_write'];

describe('FilterBar', () => {
  it('a typed query that comes back applied does not replace what was typed since', () => {
    vi.useFakeTimers();
    const base = new AnalysisState().getSnapshot();
    const sent: Partial<Filters>[] = [];
    const bar = (a: AnalysisSnapshot) => <FilterBar methods={METHODS} analysis={a} total={10} onChange={(f) => sent.push(f)} onClear={() => undefined} inputRef={createRef()} />;
    const view = render(bar(base));
    const input = screen.getByRole<HTMLInputElement>('searchbox', { name: 'Argument query' });
    fireEvent.change(input, { target: { value: 'keys>2' } });
    act(() => void vi.advanceTimersByTime(1000));
    expect(sent).toEqual([{ text: 'keys>2' }]);
    // Cleared and retyped before the page re-rendered with the applied query (a busy machine).
    fireEvent.change(input, { target: { value: 'method:fin' } });
    view.rerender(bar({ ...base, filters: { ...base.filters, text: 'keys>2' } }));
    expect(input.value).toBe('method:fin');
    // A query applied from elsewhere (a link, Clear) still replaces the box.
    view.rerender(bar({ ...base, filters: { ...base.filters, text: 'keys>4' } }));
    expect(input.value).toBe('keys>4');
    view.rerender(bar({ ...base, filters: { ...base.filters, text: 'keys>2' } }));
    expect(input.value).toBe('keys>2');
  });
});
