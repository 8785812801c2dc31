import { describe, expect, it } from 'vitest';
import type { RecordBatch } from '../model/record-store.ts';
import { ColumnBatcher, type BatchClock } from './column-batcher.ts';

/** A clock that moves only when told, with timers that fire when it passes them. */
class FakeClock implements BatchClock {
  t = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.t + ms, fn, id });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.timers = this.timers.filter((x) => x !== due);
      due.fn();
    }
  }
  get armed(): number {
    return this.timers.length;
  }
}

function setup(first = 4, size = 8) {
  const clock = new FakeClock();
  const posted: RecordBatch[] = [];
  const b = new ColumnBatcher((x) => posted.push(x), { first, size, flushMs: 100 }, clock);
  let n = 0;
  const chunk = (records: number) => {
    for (let i = 0; i < records; i++, n++) b.add(n, n % 3, n * 10, 10, n < 3 ? `m${n}` : null);
    b.endChunk();
  };
  const times = () => posted.flatMap((x) => Array.from(x.tMono.subarray(0, x.count)));
  return { clock, posted, b, chunk, times, total: () => n };
}

describe('ColumnBatcher', () => {
  it('posts the first records at once, then at most every flushMs; full batches at once', () => {
    const { clock, posted, chunk } = setup();
    chunk(2);
    expect(posted.map((p) => p.count)).toEqual([2]);
    clock.advance(10);
    chunk(3);
    expect(posted.length).toBe(1); // rate-limited
    chunk(6); // 3 + 6 > 8: a full batch goes at once, the rest waits
    expect(posted.map((p) => p.count)).toEqual([2, 8]);
    expect(posted[0]!.newMethods).toEqual(['m0', 'm1']);
    expect(posted[1]!.newMethods).toEqual(['m2']);
  });

  it('a stream that goes quiet still delivers every record (the live-follow tail)', () => {
    const { clock, posted, chunk, times, total } = setup();
    chunk(1);
    clock.advance(30);
    chunk(3); // held back: 30 ms after the last post, and no further chunk will come
    expect(posted.length).toBe(1);
    expect(clock.armed).toBe(1);
    clock.advance(69);
    expect(posted.length).toBe(1);
    clock.advance(1); // 100 ms after the first post
    expect(posted.length).toBe(2);
    expect(times()).toEqual(Array.from({ length: total() }, (_, i) => i));
    expect(clock.armed).toBe(0);
  });

  it('arms one timer however many chunks arrive meanwhile; flush and dispose cancel it', () => {
    const { clock, posted, chunk, b, times, total } = setup(4, 64);
    chunk(1);
    for (let i = 0; i < 5; i++) {
      clock.advance(5);
      chunk(2);
    }
    expect(clock.armed).toBe(1);
    b.flush();
    expect(clock.armed).toBe(0);
    expect(times()).toEqual(Array.from({ length: total() }, (_, i) => i));
    clock.advance(1000);
    expect(posted.length).toBe(2);
    chunk(1);
    b.dispose();
    expect(clock.armed).toBe(0);
  });

  it('the final flush posts even an empty batch (it carries the last progress)', () => {
    const { posted, b } = setup();
    b.flush();
    expect(posted.map((p) => p.count)).toEqual([0]);
  });
});
