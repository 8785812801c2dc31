import { DEFAULT_EVENT_QUEUE_SIZE } from '../format/spec.ts';

export interface Subscription {
  dispose(): void;
  [Symbol.dispose](): void;
}

export interface BusStats {
  depth: number;
  capacity: number;
  published: number;
  delivered: number;
  /** Events refused because the queue was full (never unbounded memory). */
  dropped: number;
  /** Exceptions thrown by subscribers (each isolated from the others and from the caller). */
  listenerErrors: number;
}

export interface BusOptions {
  capacity?: number;
  /** How a drain is scheduled off the caller's path (default: setImmediate, else setTimeout 0). */
  schedule?: (fn: () => void) => void;
  onListenerError?: (error: unknown) => void;
}

const defaultSchedule: (fn: () => void) => void =
  typeof setImmediate === 'function' ? (fn) => void setImmediate(fn) : (fn) => void setTimeout(fn, 0);

/**
 * A bounded queue between traced calls and their consumers. publish() costs a ring-buffer store;
 * delivery happens later, in a scheduled drain, so a slow or failing subscriber never touches the
 * traced call. When full, new events are dropped and counted.
 */
export class EventBus<E> {
  private readonly ring: (E | undefined)[];
  private head = 0;
  private size = 0;
  private scheduled = false;
  private listeners: ((e: E) => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  private readonly schedule: (fn: () => void) => void;
  private readonly onListenerError?: (error: unknown) => void;
  published = 0;
  delivered = 0;
  dropped = 0;
  listenerErrors = 0;

  constructor(options: BusOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_EVENT_QUEUE_SIZE;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`event bus capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<E | undefined>(capacity);
    this.schedule = options.schedule ?? defaultSchedule;
    this.onListenerError = options.onListenerError;
  }

  get capacity(): number {
    return this.ring.length;
  }

  get depth(): number {
    return this.size;
  }

  get stats(): BusStats {
    return {
      depth: this.size,
      capacity: this.ring.length,
      published: this.published,
      delivered: this.delivered,
      dropped: this.dropped,
      listenerErrors: this.listenerErrors,
    };
  }

  /** Enqueues an event; false (and counted) when the queue is full. Never throws. */
  publish(e: E): boolean {
    const cap = this.ring.length;
    if (this.size === cap) {
      this.dropped++;
      return false;
    }
    this.ring[(this.head + this.size) % cap] = e;
    this.size++;
    this.published++;
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.drainScheduled);
    }
    return true;
  }

  subscribe(listener: (e: E) => void): Subscription {
    this.listeners = [...this.listeners, listener];
    const dispose = () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Delivers everything queued now, synchronously (used by close paths). */
  flush(): void {
    const cap = this.ring.length;
    while (this.size > 0) {
      const e = this.ring[this.head] as E;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.size--;
      const ls = this.listeners;
      for (let i = 0; i < ls.length; i++) {
        try {
          ls[i]!(e);
        } catch (err) {
          this.listenerErrors++;
          try {
            this.onListenerError?.(err);
          } catch {
            /* a failing error hook must not break delivery either */
          }
        }
      }
      this.delivered++;
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once everything published so far has been delivered. */
  whenIdle(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private readonly drainScheduled = (): void => {
    this.scheduled = false;
    this.flush();
  };
}
