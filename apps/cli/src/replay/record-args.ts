import { PrefetchRequestSpec, RecordView, asKeyList, type IndexArgsSink, type ObjectKey, type TraceRecord } from '@kvtrace/trace';
import type { KeyInterner } from './key-interner.ts';

/**
 * A record's arguments as the replay needs them: every ObjectKey (in a key list or a prefetch spec)
 * is the interner's canonical object. A record straight from the reader is walked in place (RecordView.indexArgs: the
 * keys come as fields from the bytes, other values decoded, with the same errors as a full decode),
 * so a key seen before is found without building it; any other record is decoded and mapped.
 */
export class RecordArgs implements IndexArgsSink {
  private args: Record<string, unknown> = {};
  private list: ObjectKey[] = [];

  constructor(private readonly keys: KeyInterner) {}

  of(rec: TraceRecord): Record<string, unknown> {
    if (rec instanceof RecordView) {
      this.args = {};
      rec.indexArgs(this);
      const out = this.args;
      this.args = {};
      return out;
    }
    this.args = {};
    const decoded = rec.args();
    for (const name in decoded) this.value(name, decoded[name]);
    const out = this.args;
    this.args = {};
    return out;
  }

  keyList(name: string): void {
    this.list = [];
    this.args[name] = this.list;
  }

  key(buf: Uint8Array, hashStart: number, hashLen: number, modelName: string, kvRank: number, objectGroupId: number, cacheSalt: string): void {
    this.list.push(this.keys.fromBytes(buf, hashStart, hashLen, modelName, kvRank, objectGroupId, cacheSalt));
  }

  /**
   * Any other value. A key list arrives here when the walk fell back to a full decode; a prefetch
   * recorded as one `spec` carries its keys inside: both get canonical keys too.
   */
  value(name: string, v: unknown): void {
    const specKeys = v instanceof PrefetchRequestSpec ? asKeyList(v.keys) : null;
    if (specKeys !== null) {
      const s = v as PrefetchRequestSpec;
      this.args[name] = new PrefetchRequestSpec(specKeys.map((k) => this.keys.key(k)), s.layoutDesc, s.extraCount, s.policy, s.attnDesc, s.mode);
      return;
    }
    const keys = Array.isArray(v) ? asKeyList(v) : null;
    this.args[name] = keys === null ? v : keys.map((k) => this.keys.key(k));
  }
}
