// @vitest-environment happy-dom
import { act, renderHook } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { usePaced } from './use-paced.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('usePaced', () => {
  it('while pacing, takes the first value at once, then the latest once a gap has passed; the last one always lands', () => {
    const { result, rerender } = renderHook(({ v, pacing }) => usePaced(v, pacing, 250), { initialProps: { v: 1, pacing: true } });
    expect(result.current).toBe(1);
    rerender({ v: 2, pacing: true });
    // Nothing taken for a gap before: at once (after the effect).
    expect(result.current).toBe(2);
    act(() => vi.advanceTimersByTime(50));
    rerender({ v: 3, pacing: true });
    act(() => vi.advanceTimersByTime(50));
    rerender({ v: 4, pacing: true });
    expect(result.current).toBe(2);
    act(() => vi.advanceTimersByTime(149));
    expect(result.current).toBe(2);
    act(() => vi.advanceTimersByTime(1));
    // 250 ms after 2 was taken: the latest (3 was never shown).
    expect(result.current).toBe(4);
    rerender({ v: 5, pacing: true });
    expect(result.current).toBe(4);
    act(() => vi.advanceTimersByTime(250));
    expect(result.current).toBe(5);
  });

  it('not pacing, every value at once; pacing ending shows the latest at once', () => {
    const { result, rerender } = renderHook(({ v, pacing }) => usePaced(v, pacing, 250), { initialProps: { v: 1, pacing: true } });
    rerender({ v: 2, pacing: true });
    rerender({ v: 3, pacing: true });
    expect(result.current).toBe(2);
    // The load ends: the final store is drawn now, not at the end of the gap.
    rerender({ v: 3, pacing: false });
    expect(result.current).toBe(3);
    rerender({ v: 4, pacing: false });
    expect(result.current).toBe(4);
  });
});
