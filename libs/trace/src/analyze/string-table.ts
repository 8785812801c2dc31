/**
 * Interned strings with dense ids and a lower-cased copy for case-insensitive search. Id 0 is the
 * empty string, so a zero-filled id column means "none".
 */
export class StringTable {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [''];
  readonly lower: string[] = [''];

  constructor() {
    this.ids.set('', 0);
  }

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(s, id);
      this.values.push(s);
      this.lower.push(s.toLowerCase());
    }
    return id;
  }

  get(id: number): string {
    return this.values[id] ?? '';
  }
  idOf(s: string): number {
    return this.ids.get(s) ?? -1;
  }
  get size(): number {
    return this.values.length;
  }

  /** A 0/1 mark per id: the lower-cased value contains `needle` (already lower-cased). Id 0 never matches. */
  matchSubstring(needle: string, out: Uint8Array = new Uint8Array(this.values.length)): { marks: Uint8Array; hits: number } {
    let hits = 0;
    const lower = this.lower;
    for (let i = 1; i < lower.length; i++) {
      if (lower[i]!.includes(needle)) {
        out[i] = 1;
        hits++;
      }
    }
    return { marks: out, hits };
  }

  static from(values: readonly string[]): StringTable {
    const t = new StringTable();
    for (let i = 1; i < values.length; i++) t.intern(values[i]!);
    return t;
  }
}
