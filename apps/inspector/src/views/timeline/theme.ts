import { useSyncExternalStore } from 'react';
import type { TimelineColors } from './draw.ts';

const FALLBACK: TimelineColors = { text: '#1b2230', muted: '#667085', border: '#dfe3e8', panel: '#fff', panel2: '#f1f3f6', accent: '#2f6feb', err: '#9b1c1c', dark: false };
const VARS: Record<Exclude<keyof TimelineColors, 'dark'>, string> = { text: '--text', muted: '--muted', border: '--border', panel: '--panel', panel2: '--panel-2', accent: '--accent', err: '--err-fg' };

let mq: MediaQueryList | undefined;
const darkQuery = (): MediaQueryList | undefined => (mq ??= globalThis.matchMedia?.('(prefers-color-scheme: dark)'));

/**
 * The theme's colours as the canvas needs them. The CSS variables hold `light-dark(...)`, which a
 * canvas does not parse: each is resolved by a probe element that uses it as its colour.
 */
function readColors(): TimelineColors {
  const probe = document.createElement('span');
  probe.hidden = true;
  document.body.append(probe);
  try {
    const out = { ...FALLBACK, dark: getComputedStyle(document.documentElement).colorScheme.includes('dark') };
    for (const [k, name] of Object.entries(VARS) as [keyof typeof VARS, string][]) {
      probe.style.color = `var(${name})`;
      out[k] = getComputedStyle(probe).color || FALLBACK[k];
    }
    return out;
  } finally {
    probe.remove();
  }
}

/** What the colours depend on: the chosen theme (`html[data-theme]`) and the system scheme. */
const themeKey = (): string => `${document.documentElement.dataset.theme ?? 'system'}:${darkQuery()?.matches === true}`;

let cached: { key: string; colors: TimelineColors } | null = null;

function snapshot(): TimelineColors {
  const key = themeKey();
  if (cached?.key !== key) cached = { key, colors: readColors() };
  return cached.colors;
}

function subscribe(onChange: () => void): () => void {
  const mo = new MutationObserver(onChange);
  mo.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
  const system = darkQuery();
  system?.addEventListener('change', onChange);
  return () => {
    mo.disconnect();
    system?.removeEventListener('change', onChange);
  };
}

/**
 * The timeline's colours, following the theme: the toggle sets `html[data-theme]`, the system scheme
 * can flip under "system". A canvas does not follow CSS by itself, so its drawing depends on this
 * (issue 13, defect 4: switching to dark left the timeline light).
 */
export function useThemeColors(): TimelineColors {
  return useSyncExternalStore(subscribe, snapshot, () => FALLBACK);
}
