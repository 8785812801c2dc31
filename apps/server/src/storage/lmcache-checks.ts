/**
 * Defence in depth: the storage manager refuses arguments LMCache's decoder would refuse (the
 * API checks them first, with field names of its own; replay and tests call the manager directly).
 * The traced wrapper records a call before it runs, so such a call still reaches the recorder,
 * which refuses it too: it is counted there, never written.
 */
import { dtypeViolation, objectKeyViolation, unicodeViolation, violationMessage, type MemoryLayoutDesc, type ObjectKey, type Violation } from '@kvtrace/trace';
import { StorageError } from './storage-error.ts';

function refuse(v: Violation | null): void {
  if (v) throw new StorageError('bad_argument', `${violationMessage(v)} (LMCache could not decode this call)`);
}

export function assertKeys(keys: readonly ObjectKey[]): void {
  for (let i = 0; i < keys.length; i++) refuse(objectKeyViolation(keys[i]!, `keys[${i}]`));
}

export function assertLayout(layout: MemoryLayoutDesc): void {
  for (let i = 0; i < layout.dtypes.length; i++) refuse(dtypeViolation(layout.dtypes[i]!, `layout_desc.dtypes[${i}]`));
}

export function assertText(value: string, name: string): void {
  refuse(unicodeViolation(value, name));
}
