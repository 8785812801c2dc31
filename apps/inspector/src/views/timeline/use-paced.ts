import { useEffect, useRef, useState } from 'react';

/**
 * `value`, taken at most once every `gapMs` while `pacing` (the latest value, at the end of the
 * gap, so the last one always lands), and at once otherwise. The timeline paces the store's growth
 * with it while a trace loads: each of its redraws walks every call loaded so far, so redrawn at
 * every batch the page's thread spent most of a big load's time on a picture that changed little.
 */
export function usePaced<T>(value: T, pacing: boolean, gapMs: number): T {
  const [taken, setTaken] = useState(value);
  const at = useRef(-Infinity);
  useEffect(() => {
    if (Object.is(taken, value)) return;
    const take = () => {
      at.current = performance.now();
      setTaken(value);
    };
    const wait = at.current + gapMs - performance.now();
    if (!pacing || wait <= 0) {
      take();
      return;
    }
    const timer = setTimeout(take, wait);
    return () => clearTimeout(timer);
  }, [value, taken, pacing, gapMs]);
  return pacing ? taken : value;
}
