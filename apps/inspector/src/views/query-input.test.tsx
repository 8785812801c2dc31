// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { createRef, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QueryInput, queryErrorOf } from './QueryInput.tsx';

afterEach(cleanup);

const METHODS = ['lmcache.v1.distributed.storage_manager.StorageManager.reserve_write', 'lmcache.v1.distributed.storage_manager.StorageManager.finish_write'];

function Harness({ onApply, remoteError = null }: { onApply(t: string): void; remoteError?: string | null }) {
  const [text, setText] = useState('');
  return <QueryInput value={text} onInput={setText} onApply={onApply} methods={METHODS} remoteError={remoteError} inputRef={createRef()} />;
}

describe('queryErrorOf', () => {
  it('takes the parser offsets, or the column an analyzer message names', () => {
    expect(queryErrorOf('keys>2 hsh:x', null)).toMatchObject({ start: 7, end: 11 });
    expect(queryErrorOf('keys>2', null)).toBeNull();
    const remote = 'Error: no method of this trace is "bogus" (methods: a, b) (column 8)';
    expect(queryErrorOf('keys>2 method:bogus t>1', remote)).toEqual({ reason: 'no method of this trace is "bogus" (methods: a, b)', start: 7, end: 19 });
    expect(queryErrorOf('keys>2', 'Error: the trace was closed')).toBeNull();
  });
});

describe('QueryInput', () => {
  it('completes a field, then the methods after method:, and applies on Enter', async () => {
    const onApply = vi.fn();
    render(<Harness onApply={onApply} />);
    const input = screen.getByRole<HTMLInputElement>('searchbox', { name: 'Argument query' });
    fireEvent.change(input, { target: { value: 'me', selectionStart: 2 } });
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual([expect.stringMatching(/^method:/)]);
    await act(async () => {
      fireEvent.keyDown(input, { key: 'Tab' });
      await new Promise((r) => requestAnimationFrame(r));
    });
    expect(input.value).toBe('method:');
    expect(screen.getAllByRole('option').map((o) => o.firstChild?.textContent)).toEqual(['method:reserve_write', 'method:finish_write']);
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(input.value).toBe('method:finish_write ');
    expect(onApply).not.toHaveBeenCalled();
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onApply).toHaveBeenCalledWith('method:finish_write ');
  });

  it('shows an error under the part it is about', () => {
    render(<Harness onApply={() => undefined} />);
    const input = screen.getByRole<HTMLInputElement>('searchbox', { name: 'Argument query' });
    fireEvent.change(input, { target: { value: 'keys>2 (a OR', selectionStart: 12 } });
    const err = screen.getByTestId('query-error');
    expect(err.textContent).toContain('column 11');
    expect(err.querySelector('mark')?.textContent).toBe('OR');
    expect(input.getAttribute('aria-invalid')).toBe('true');
  });
});

describe('FilterBar query draft', () => {
  it('sends a typed query once after the pause, and a query applied elsewhere replaces the draft', async () => {
    const { FilterBar } = await import('./FilterBar.tsx');
    const { NO_FILTERS } = await import('../model/view-state.ts');
    vi.useFakeTimers();
    try {
      const onChange = vi.fn();
      const snap = (text: string) => ({ filters: { ...NO_FILTERS, text }, rows: null, pending: false, lastQueryMs: null, error: null, index: null }) as never;
      const draw = (text: string) => <FilterBar methods={METHODS} analysis={snap(text)} total={10} onChange={onChange} onClear={() => undefined} inputRef={createRef()} />;
      const view = render(draw(''));
      const input = screen.getByRole<HTMLInputElement>('searchbox', { name: 'Argument query' });
      fireEvent.change(input, { target: { value: 'keys>2', selectionStart: 6 } });
      // A parent render while typing (a live trace re-renders often) neither sends nor restarts anything.
      view.rerender(draw(''));
      act(() => vi.advanceTimersByTime(1000));
      expect(onChange.mock.calls).toEqual([[{ text: 'keys>2' }]]);
      // The applied query catches up: nothing is sent again.
      view.rerender(draw('keys>2'));
      act(() => vi.advanceTimersByTime(1000));
      expect(onChange).toHaveBeenCalledTimes(1);
      // Applied from elsewhere (a link, a histogram brush, Clear): the box shows it, and does not send its old draft.
      view.rerender(draw('wait>5ms'));
      expect(input.value).toBe('wait>5ms');
      view.rerender(draw(''));
      expect(input.value).toBe('');
      act(() => vi.advanceTimersByTime(1000));
      expect(onChange).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
