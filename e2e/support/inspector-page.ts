import { readFileSync } from 'node:fs';
import { expect, type Locator, type Page } from '@playwright/test';
import { FIXTURES, SCREENSHOTS } from './paths.ts';

export type LoadState = 'empty' | 'loading' | 'ready' | 'partial' | 'failed';

/** The inspector as tests see it: actions, and readiness from the root's data-state (never sleeps). */
export class InspectorPage {
  readonly root: Locator;
  readonly grid: Locator;
  readonly body: Locator;
  readonly argTree: Locator;
  readonly argView: Locator;
  readonly headerPanel: Locator;

  constructor(readonly page: Page) {
    this.root = page.locator('div.app');
    this.grid = page.getByRole('grid', { name: 'Calls' });
    this.body = this.grid.locator('.grid-body');
    this.argTree = page.getByTestId('arg-tree');
    this.argView = page.getByTestId('arg-view');
    this.headerPanel = page.getByTestId('header-panel');
  }

  async goto(query = ''): Promise<void> {
    await this.page.goto(`/${query}`);
    await expect(this.root).toHaveAttribute('data-state', /.+/);
  }

  /** Waits for the load to end (ready, partial or failed) and returns which. */
  async settled(): Promise<LoadState> {
    await expect(this.root).toHaveAttribute('data-state', /^(ready|partial|failed)$/, { timeout: 60_000 });
    return (await this.root.getAttribute('data-state')) as LoadState;
  }

  async expectState(state: LoadState): Promise<void> {
    await expect(this.root).toHaveAttribute('data-state', state, { timeout: 60_000 });
  }

  /** Drops a local file with a real DataTransfer holding a real File, on the page's body. */
  async dropLocalFile(path: string, name = path.split('/').pop() ?? 'trace.lct'): Promise<void> {
    const b64 = readFileSync(path).toString('base64');
    await this.page.evaluate(
      ({ b64, name }) => {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
        const target = document.querySelector('.app') ?? document.body;
        for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      },
      { b64, name },
    );
  }

  /** Drops several local files at once (one DataTransfer), as a user drops a selection. */
  async dropLocalFiles(paths: readonly string[]): Promise<void> {
    const files = paths.map((p) => ({ b64: readFileSync(p).toString('base64'), name: p.split('/').pop() ?? 'trace.lct' }));
    await this.page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const { b64, name } of files) {
        const bin = atob(b64);
        const bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
        dt.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
      }
      const target = document.querySelector('.app') ?? document.body;
      for (const type of ['dragenter', 'dragover', 'drop']) target.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files);
  }

  /** The server cell of each rendered row, by call (empty when the server column is hidden). */
  async renderedServers(): Promise<Map<number, string>> {
    const pairs = await this.dataRows().evaluateAll((rows) => rows.map((r) => [Number(r.getAttribute('data-call')), r.querySelector('.c-server')?.textContent ?? ''] as const));
    return new Map(pairs);
  }

  dropFixture(name: string): Promise<void> {
    return this.dropLocalFile(FIXTURES + name, name);
  }

  /** Drops a big trace without shipping its bytes through the protocol: fetched in-page as a Blob. */
  async dropServerFileAsFile(name: string): Promise<void> {
    await this.page.evaluate(async (name) => {
      const blob = await (await fetch(`/traces/${encodeURIComponent(name)}`)).blob();
      const dt = new DataTransfer();
      dt.items.add(new File([blob], name));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, name);
  }

  async pickFile(path: string): Promise<void> {
    await this.page.getByTestId('file-input').setInputFiles(path);
  }

  async records(): Promise<number> {
    return Number(await this.root.getAttribute('data-records'));
  }

  /** Calls the grid shows: aria-rowcount minus its header row. */
  async rowCount(): Promise<number> {
    return Number(await this.grid.getAttribute('aria-rowcount')) - 1;
  }

  row(index: number): Locator {
    return this.grid.locator(`[role=row][aria-rowindex="${index + 2}"]`);
  }

  dataRows(): Locator {
    return this.body.locator('[role=row]');
  }

  async selectRow(index: number): Promise<void> {
    await this.row(index).click();
    await expect(this.argView).toHaveAttribute('data-index', String(index));
    await expect(this.argTree).toBeVisible();
  }

  treeItem(name: string): Locator {
    return this.argTree.locator('.tree-line', { has: this.page.locator('.tree-name', { hasText: new RegExp(`^${name.replace(/[[\]]/g, '\\$&')}$`) }) });
  }

  /** Side-pane tab (Call, Key, Requests, Stats, Compare, Marks). */
  async openTab(name: string): Promise<void> {
    await this.page.getByRole('tab', { name, exact: true }).click();
  }

  get timeline(): Locator {
    return this.page.getByTestId('timeline');
  }

  get query(): Locator {
    return this.page.getByRole('searchbox', { name: 'Argument query' });
  }

  methodToggle(name: string): Locator {
    return this.page.getByRole('group', { name: 'Methods' }).getByRole('button', { name, exact: true });
  }

  /** The filter's answer is in: a filter is set and nothing is pending. */
  async filtered(): Promise<void> {
    await expect(this.page.getByTestId('filter-count')).not.toContainText('filtering');
  }

  /** The second-pass or inline index is complete (the root says so). */
  async indexed(): Promise<void> {
    await expect(this.root).toHaveAttribute('data-indexed', 'true', { timeout: 60_000 });
  }

  /** Calls of the rendered rows (data-call), in order. */
  async renderedCalls(): Promise<number[]> {
    return (await this.dataRows().evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-call'))))).sort((a, b) => a - b);
  }

  url(): URL {
    return new URL(this.page.url());
  }

  /** Tick labels the timeline drew: text, left x and width (the canvas holds no text to query). */
  async timelineTicks(): Promise<{ text: string; x: number; width: number }[]> {
    const raw = (await this.timeline.getAttribute('data-ticks')) ?? '[]';
    return (JSON.parse(raw) as [string, number, number][]).map(([text, x, width]) => ({ text, x, width }));
  }

  async timelineLabels(): Promise<string[]> {
    return JSON.parse((await this.timeline.getAttribute('data-labels')) ?? '[]') as string[];
  }

  /** The timeline's shown range (seconds). */
  async timelineView(): Promise<{ t0: number; t1: number }> {
    return { t0: Number(await this.timeline.getAttribute('data-view-t0')), t1: Number(await this.timeline.getAttribute('data-view-t1')) };
  }

  /** The canvas pixel at (x, y) CSS px, as [r, g, b]. */
  async timelinePixel(x: number, y: number): Promise<number[]> {
    return this.timeline.locator('canvas').evaluate(
      (c: HTMLCanvasElement, [x, y]) => {
        const d = globalThis.devicePixelRatio || 1;
        return Array.from(c.getContext('2d')!.getImageData(Math.round(x * d), Math.round(y * d), 1, 1).data.slice(0, 3));
      },
      [x, y] as const,
    );
  }

  /**
   * Elements of a card that stick out of it (or a card that scrolls sideways): the layout check of
   * the screenshot set. Empty when everything fits.
   */
  async overflowIn(card: Locator): Promise<string[]> {
    return card.evaluate((c: HTMLElement) => {
      const box = c.getBoundingClientRect();
      const out: string[] = [];
      if (c.scrollWidth > c.clientWidth + 1) out.push(`the card scrolls: ${c.scrollWidth} px of content in ${c.clientWidth} px`);
      for (const el of Array.from(c.querySelectorAll('*'))) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        if (r.right > box.right + 0.5 || r.left < box.left - 0.5) {
          const name = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ').join('.') : ''}`;
          out.push(`${name} "${(el.textContent ?? '').slice(0, 30)}" spans ${r.left.toFixed(0)}-${r.right.toFixed(0)}, card ${box.left.toFixed(0)}-${box.right.toFixed(0)}`);
        }
      }
      return out;
    });
  }

  async screenshot(name: string): Promise<Buffer> {
    return this.page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }
}
