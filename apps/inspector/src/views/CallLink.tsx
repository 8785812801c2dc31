import { shortMethodName } from '@kvtrace/trace';
import type { RecordStore } from '../model/record-store.ts';
import { methodHue } from './methods.ts';

/** A call as a button: method chip and index; clicking jumps the table (and timeline) to it. */
export function CallLink({ store, call, onJump }: { store: RecordStore; call: number; onJump(call: number): void }) {
  if (call < 0) return <span className="call-link is-missing">—</span>;
  const q = call < store.length ? store.qualname(call) : '';
  return (
    <button type="button" className="call-link" data-call={call} title={`Jump to call ${call} (${q})`} onClick={() => onJump(call)}>
      <span className="method-chip" style={{ ['--hue' as string]: methodHue(q) }}>
        {shortMethodName(q) || '?'}
      </span>
      <span className="call-no">#{call}</span>
    </button>
  );
}
