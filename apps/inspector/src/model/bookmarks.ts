/** A bookmarked call and its note (empty: none). */
export interface Mark {
  call: number;
  note: string;
}

type Listener = () => void;

/** Notes are kept short: they travel in the link. */
export const MAX_NOTE = 200;

/**
 * Bookmarks on calls, with an optional note each, for the open trace (they travel in the permalink,
 * so a link shows someone else the same calls marked). Ordered by call; plain TypeScript, one
 * snapshot per change for the view hook.
 */
export class Bookmarks {
  private listeners = new Set<Listener>();
  private marks: readonly Mark[] = [];

  constructor(marks: readonly Mark[] = []) {
    this.replace(marks);
  }

  readonly subscribe = (l: Listener): (() => void) => {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  };
  readonly getSnapshot = (): readonly Mark[] => this.marks;

  has(call: number): boolean {
    return this.marks.some((m) => m.call === call);
  }

  noteOf(call: number): string | null {
    return this.marks.find((m) => m.call === call)?.note ?? null;
  }

  /** Adds the call (or changes its note). */
  set(call: number, note = ''): void {
    const n = note.slice(0, MAX_NOTE);
    const rest = this.marks.filter((m) => m.call !== call);
    this.replace([...rest, { call, note: n }]);
  }

  remove(call: number): void {
    if (this.has(call)) this.replace(this.marks.filter((m) => m.call !== call));
  }

  toggle(call: number): void {
    if (this.has(call)) this.remove(call);
    else this.set(call);
  }

  /** All at once (a link, a new trace). */
  replace(marks: readonly Mark[]): void {
    const byCall = new Map<number, Mark>();
    for (const m of marks) if (Number.isInteger(m.call) && m.call >= 0) byCall.set(m.call, { call: m.call, note: m.note.slice(0, MAX_NOTE) });
    const next = [...byCall.values()].sort((a, b) => a.call - b.call);
    if (next.length === this.marks.length && next.every((m, i) => m.call === this.marks[i]!.call && m.note === this.marks[i]!.note)) return;
    this.marks = next;
    for (const l of this.listeners) l();
  }
}
