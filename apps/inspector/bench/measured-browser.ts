/**
 * The browser the inspector's memory is measured in (inspector.bench.ts, pss-settle.ts): a
 * headless Chromium whose PID is known (for the PSS of its process tree), a fresh page of the built
 * app, garbage collection on demand, and the process tree's memory less the bench's own tracing.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { PAGE_INIT } from './open-timing.ts';
import { childrenOf, cmdline, treeMemory, type ProcessMemory } from './process-memory.ts';

/** `jsFlags`: more V8 flags, for experiments only (pss-settle.ts); the bench passes none. */
function launch(jsFlags: readonly string[]): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.KVTRACE_CHROMIUM ?? '/usr/bin/chromium',
    // --expose-gc: the bench collects the warm-up's garbage in the page and its workers before "before".
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', `--js-flags=${['--expose-gc', ...jsFlags].join(' ')}`],
  });
}

export async function freshPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  await page.addInitScript(PAGE_INIT);
  await page.goto(url);
  await page.waitForSelector('.app[data-state="empty"]');
  return page;
}

/** Full collections in the page and every worker, so "before" is the warm-up's live data only. */
export async function collectGarbage(page: Page): Promise<void> {
  const gc = () => (globalThis as unknown as { gc(): void }).gc();
  await page.evaluate(gc);
  for (const w of page.workers()) await w.evaluate(gc);
}

/**
 * The launched browser's PID: Playwright spawns it as a child of this process (its API does not
 * expose it), so it is the child that appeared during launch().
 */
export async function launchWithPid(jsFlags: readonly string[] = []): Promise<{ browser: Browser; pid: number }> {
  const before = new Set(childrenOf(process.pid));
  const browser = await launch(jsFlags);
  const fresh = childrenOf(process.pid).filter((p) => !before.has(p) && /--remote-debugging-pipe/.test(cmdline(p)));
  if (fresh.length !== 1) {
    await browser.close();
    throw new Error(`cannot tell the launched Chromium's PID (new children: ${fresh.join(', ') || 'none'})`);
  }
  return { browser, pid: fresh[0]! };
}

/**
 * The browser's PSS, less the tracing service that the bench's own allocator dumps start (it holds
 * their trace buffer, ~40 MB: the bench's, not the inspector's).
 */
export const browserMemory = (pid: number): ProcessMemory[] => treeMemory(pid).filter((p) => p.kind !== 'utility:TracingService');
