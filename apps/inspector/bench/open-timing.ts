/**
 * Opens a trace the way a user does (the "Open file…" input, a disk-backed File, no bytes through
 * the test protocol) and times it in the page from the input's change event: first data row in the
 * DOM, data-state settled (table ready), data-indexed=true (filters, lifecycles, stats on all calls).
 */
import type { Page } from '@playwright/test';

export interface OpenTiming {
  firstRowMs: number;
  readyMs: number;
  /** -1 when not waited for. */
  indexedMs: number;
  records: number;
  state: string;
}

interface BenchWindow {
  __kvOpen?: Promise<OpenTiming>;
  /** The File the input handed to the app (the app clears the input), for baselines on the same File. */
  __kvFile?: File;
}

/** Must be called once per page: tsx (esbuild keepNames) wraps named inner functions in __name(). */
export const PAGE_INIT = 'globalThis.__name = (f) => f';

export async function openFromInput(page: Page, path: string, waitIndexed: boolean): Promise<OpenTiming> {
  await page.evaluate((waitIndexed) => {
    const w = window as unknown as BenchWindow;
    const root = document.querySelector('.app')!;
    const input = document.querySelector<HTMLInputElement>('[data-testid=file-input]')!;
    const prevLoad = root.getAttribute('data-load-id');
    w.__kvOpen = new Promise<OpenTiming>((resolve) => {
      let t0 = -1;
      let firstRowMs = -1;
      let readyMs = -1;
      let state = '';
      // Capture on window runs before React's handler, which reads the file and clears the input.
      window.addEventListener(
        'change',
        (e) => {
          if (e.target !== input) return;
          t0 = performance.now();
          w.__kvFile = input.files![0];
        },
        { capture: true, once: true },
      );
      const done = (indexedMs: number) => {
        obs.disconnect();
        resolve({ firstRowMs, readyMs, indexedMs, records: Number(root.getAttribute('data-records')), state });
      };
      const check = () => {
        if (t0 < 0 || root.getAttribute('data-load-id') === prevLoad) return;
        const t = performance.now() - t0;
        if (firstRowMs < 0 && document.querySelector('.grid-body [role=row]')) firstRowMs = t;
        const s = root.getAttribute('data-state') ?? '';
        if (readyMs < 0 && (s === 'ready' || s === 'partial' || s === 'failed')) {
          readyMs = t;
          state = s;
          if (s === 'failed' || !waitIndexed) return done(-1);
        }
        if (readyMs >= 0 && root.getAttribute('data-indexed') === 'true') done(t);
      };
      const obs = new MutationObserver(check);
      obs.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state', 'data-load-id', 'data-indexed'] });
    });
  }, waitIndexed);
  await page.getByTestId('file-input').setInputFiles(path);
  return page.evaluate(() => (window as unknown as BenchWindow).__kvOpen!);
}

/** msgpackr 2.1.4 decoding every frame of the last opened File, streamed the same way, on the page's thread. */
export function msgpackrBaseline(page: Page): Promise<{ ms: number; records: number }> {
  return page.evaluate(async () => {
    const file = (window as unknown as BenchWindow).__kvFile!;
    const { unpack } = (window as unknown as { msgpackr: { unpack(b: Uint8Array): unknown } }).msgpackr;
    const t0 = performance.now();
    const reader = file.stream().getReader();
    let carry = new Uint8Array(0);
    let frames = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      let buf = value;
      if (carry.length > 0) {
        buf = new Uint8Array(carry.length + value.length);
        buf.set(carry);
        buf.set(value, carry.length);
      }
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      let p = 0;
      while (buf.length - p >= 4) {
        const len = view.getUint32(p);
        if (p + 4 + len > buf.length) break;
        unpack(buf.subarray(p + 4, p + 4 + len));
        frames++;
        p += 4 + len;
      }
      carry = buf.slice(p);
    }
    return { ms: performance.now() - t0, records: frames - 1 };
  });
}

/**
 * The floor under any reader of the last opened File in this browser: its File.stream() read to the
 * end on the page's thread, nothing done with the bytes. On this machine Chromium streams a
 * disk-backed File at about 250 MB/s, which bounds the table-ready time from below.
 */
export function rawReadBaseline(page: Page): Promise<{ ms: number; bytes: number }> {
  return page.evaluate(async () => {
    const file = (window as unknown as BenchWindow).__kvFile!;
    const t0 = performance.now();
    const reader = file.stream().getReader();
    let bytes = 0;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
    return { ms: performance.now() - t0, bytes };
  });
}
