import { ObjectKey } from '@kvtrace/trace';

export const ENTER_SUFFIX = '.__enter__';
export const EXIT_SUFFIX = '.__exit__';

/** `...read_prefetched_results.__enter__` → the scope's qualname and which side this is. */
export function scopeSide(qualname: string): { scope: string; side: 'enter' | 'exit' } | null {
  if (qualname.endsWith(ENTER_SUFFIX)) return { scope: qualname.slice(0, -ENTER_SUFFIX.length), side: 'enter' };
  if (qualname.endsWith(EXIT_SUFFIX)) return { scope: qualname.slice(0, -EXIT_SUFFIX.length), side: 'exit' };
  return null;
}

/**
 * The identity of a key list, for pairing: an exit's `keys` are the enter's (the traced wrapper
 * records the same captured arguments for both), so equal lists mean the same scope. Returns null
 * when `keys` is not a list of ObjectKeys (nothing to pair on).
 */
export function keyListId(keys: unknown): string | null {
  if (!Array.isArray(keys)) return null;
  let id = '';
  for (const k of keys) {
    if (!(k instanceof ObjectKey)) return null;
    id += k.id + ';';
  }
  return id;
}

/**
 * Pairs scope enters with exits, first-in first-out per (scope, key list): records are entry-only
 * and carry no scope id, so when two scopes over the same keys are open at once the older enter is
 * the best guess for the next exit (LMCache's replay does the same). What is still open at the end
 * comes back from drain() in enter order, for the caller to close.
 */
export class ScopePairer<T> {
  private readonly open = new Map<string, { seq: number; value: T }[]>();
  private seq = 0;
  private count = 0;

  get openCount(): number {
    return this.count;
  }

  enter(scope: string, keysId: string, value: T): void {
    const id = scope + '\0' + keysId;
    const q = this.open.get(id);
    const item = { seq: this.seq++, value };
    if (q) q.push(item);
    else this.open.set(id, [item]);
    this.count++;
  }

  /** The open enter this exit closes, or undefined for an exit without an enter. */
  exit(scope: string, keysId: string): T | undefined {
    const id = scope + '\0' + keysId;
    const q = this.open.get(id);
    if (!q) return undefined;
    const item = q.shift()!;
    if (q.length === 0) this.open.delete(id);
    this.count--;
    return item.value;
  }

  /** Removes and returns every open enter, oldest first. */
  drain(): T[] {
    const all = [...this.open.values()].flat().sort((a, b) => a.seq - b.seq);
    this.open.clear();
    this.count = 0;
    return all.map((i) => i.value);
  }
}
