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

  /** Side-pane tab (Call, Key, Lifecycles, Stats, Compare). */
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

  async screenshot(name: string): Promise<Buffer> {
    return this.page.screenshot({ path: `${SCREENSHOTS}/${name}.png` });
  }
}
