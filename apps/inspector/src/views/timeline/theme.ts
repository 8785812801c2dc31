import { useEffect, useState } from 'react';
import type { TimelineColors } from './draw.ts';

/** The theme's colours as the canvas needs them (CSS variables of the element's theme). */
export function themeColors(el: Element): TimelineColors {
  const cs = getComputedStyle(el);
  const v = (n: string, d: string) => cs.getPropertyValue(n).trim() || d;
  return {
    text: v('--text', '#1b2230'),
    muted: v('--muted', '#667085'),
    border: v('--border', '#dfe3e8'),
    panel: v('--panel', '#fff'),
    panel2: v('--panel-2', '#f1f3f6'),
    accent: v('--accent', '#2f6feb'),
    err: v('--err-fg', '#9b1c1c'),
    dark: cs.colorScheme.includes('dark'),
  };
}

/**
 * Changes whenever the theme may have: the toggle sets `html[data-theme]`, the system scheme can
 * flip under "system". A canvas does not follow CSS by itself, so its drawing depends on this
 * (issue 13, defect 4: switching to dark left the timeline light).
 */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((n) => n + 1);
    const mo = new MutationObserver(bump);
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme', 'class', 'style'] });
    const mq = globalThis.matchMedia?.('(prefers-color-scheme: dark)');
    mq?.addEventListener('change', bump);
    return () => {
      mo.disconnect();
      mq?.removeEventListener('change', bump);
    };
  }, []);
  return version;
}
