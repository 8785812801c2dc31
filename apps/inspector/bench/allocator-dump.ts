/**
 * Where a Chromium's memory is, by allocator: a `memory-infra` dump (the data behind
 * chrome://tracing's memory view) requested over the browser's DevTools protocol. PSS says what the
 * machine pays; this says what holds it: ArrayBuffer backing stores (the inspector's typed-array
 * columns and anything not yet collected), the V8 heaps of the page and of its workers, malloc,
 * Blink's own heap, the compositor. Sizes are summed over the processes asked for.
 */
import type { Browser } from '@playwright/test';

/** Top-level allocators reported, and the sub-allocators named apart (the rest of each is "other"). */
export const ALLOCATORS = ['partition_alloc/partitions/array_buffer', 'v8/main', 'v8/workers', 'malloc', 'blink_gc', 'cc'] as const;

export type AllocatorSizes = Map<string, number>;

interface TraceEvent {
  ph: string;
  pid: number;
  args?: { dumps?: { allocators?: Record<string, { attrs?: { size?: { value: string } } }> } };
}

/** One detailed dump of every process (or those `include` accepts), summed by allocator name (bytes): `names`, ALLOCATORS by default. */
export async function allocatorDump(browser: Browser, include: (pid: number) => boolean = () => true, names: readonly string[] = ALLOCATORS): Promise<AllocatorSizes> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const events: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
    const complete = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
    await cdp.send('Tracing.start', {
      traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], memoryDumpConfig: { triggers: [] } },
      transferMode: 'ReportEvents',
    } as never);
    const dumped = (await cdp.send('Tracing.requestMemoryDump', { levelOfDetail: 'detailed' } as never)) as { success: boolean };
    await cdp.send('Tracing.end');
    await complete;
    if (!dumped.success) throw new Error('Chromium refused the memory dump');
    const sizes: AllocatorSizes = new Map();
    for (const e of events) {
      const allocators = e.ph === 'v' && include(e.pid) ? e.args?.dumps?.allocators : undefined;
      if (!allocators) continue;
      for (const name of names) {
        const hex = allocators[name]?.attrs?.size?.value;
        if (hex !== undefined) sizes.set(name, (sizes.get(name) ?? 0) + parseInt(hex, 16));
      }
    }
    return sizes;
  } finally {
    await cdp.detach();
  }
}

/** "array buffers 154, V8 page 8, ..." per call: `after` minus `before`, bytes divided by `records`. */
export function allocatorDelta(before: AllocatorSizes, after: AllocatorSizes, records: number): string {
  const label: Record<(typeof ALLOCATORS)[number], string> = {
    'partition_alloc/partitions/array_buffer': 'ArrayBuffers',
    'v8/main': 'V8 heap (page)',
    'v8/workers': 'V8 heaps (workers)',
    malloc: 'malloc',
    blink_gc: 'Blink heap',
    cc: 'compositor',
  };
  return ALLOCATORS.map((a) => `${label[a]} ${(((after.get(a) ?? 0) - (before.get(a) ?? 0)) / records).toFixed(0)}`).join(', ');
}

/** The four allocators the settle and GC tools print per call: label, dump name. */
export const ALLOCATOR_SPLIT = [
  ['ArrayBuffers', 'partition_alloc/partitions/array_buffer'],
  ['malloc', 'malloc'],
  ['workers', 'v8/workers'],
  ['page', 'v8/main'],
] as const;
