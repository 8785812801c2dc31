import { useEffect, useState } from 'react';

type Theme = 'system' | 'light' | 'dark';
const KEY = 'kvtrace.theme';
const NEXT: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };

function stored(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

/** Follows the system by default (CSS `prefers-color-scheme`); a choice is kept in localStorage. */
export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(stored);
  useEffect(() => {
    const root = document.documentElement;
    if (theme === 'system') root.removeAttribute('data-theme');
    else root.setAttribute('data-theme', theme);
    try {
      if (theme === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, theme);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
  }, [theme]);
  return (
    <button type="button" className="btn" data-testid="theme-toggle" data-theme-choice={theme} title="Theme: system → light → dark" onClick={() => setTheme(NEXT[theme])}>
      {theme === 'system' ? '◐ System' : theme === 'light' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}
