/**
 * Hands results on in the order their items came, though some finish later than items after them
 * (a read waiting for its L2 load while other requests go on): counts and the JSON-lines report
 * stay in trace order. Nothing waiting ahead: an item is delivered at once, with no queue.
 */
export class InOrder<T, R> {
  private readonly queue: { item: T; result: R | null }[] = [];
  private head = 0;

  constructor(private readonly deliver: (item: T, result: R) => void | Promise<void>) {}

  /** Items not delivered yet. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  add(item: T, result: R | Promise<R>): void | Promise<void> {
    if (result instanceof Promise) {
      const entry: { item: T; result: R | null } = { item, result: null };
      this.queue.push(entry);
      void result.then((r) => {
        entry.result = r;
      });
      return;
    }
    if (this.waiting === 0) return this.deliver(item, result);
    this.queue.push({ item, result });
    return this.flush();
  }

  /** Delivers every finished item at the front, in order. */
  async flush(): Promise<void> {
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head]!;
      if (entry.result === null) return;
      this.head++;
      const d = this.deliver(entry.item, entry.result);
      if (d instanceof Promise) await d;
    }
    this.queue.length = 0;
    this.head = 0;
  }
}
