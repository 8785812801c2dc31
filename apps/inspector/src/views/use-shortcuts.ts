import { useEffect, useRef } from 'react';
import { isTyping } from './keys.ts';

export interface ShortcutHandlers {
  help(): void;
  focusQuery(): void;
  bookmark(): void;
}

/**
 * The page's global keys: `?` help, `/` the query, `B` bookmark. Keys typed into a field are text;
 * the timeline's W/A/S/D live with the timeline. Installed once; the latest handlers are called.
 */
export function useShortcuts(handlers: ShortcutHandlers): void {
  const h = useRef(handlers);
  useEffect(() => {
    h.current = handlers;
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (e.key === '?') h.current.help();
      else if (e.key === '/') h.current.focusQuery();
      else if (e.key === 'b' || e.key === 'B') h.current.bookmark();
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
