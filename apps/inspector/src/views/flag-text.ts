import type { FlagKind, PhaseName } from '@kvtrace/trace';

/** What each flag means, in the words of a storage-manager engineer reading the trace. */
export const FLAG_TEXT: Record<FlagKind, { title: string; hint: string; severity: 'err' | 'warn' }> = {
  leaked_write: { title: 'Leaked write lock', hint: 'reserve_write with no finish_write: the L1 buffer and write lock were never released', severity: 'err' },
  leaked_read: { title: 'Leaked read lock', hint: 'submit_prefetch_task with no finish_read_prefetched: the read locks were never released', severity: 'err' },
  exit_without_enter: { title: 'Exit without enter', hint: 'read_prefetched_results.__exit__ with no open __enter__ for the key', severity: 'warn' },
  read_never_written: { title: 'Read of a key never written', hint: 'prefetched or read before any reserve_write / finish_write of the key in this trace', severity: 'warn' },
  finish_without_reserve: { title: 'Finish without reserve', hint: 'finish_write of a key with no open reserve_write', severity: 'warn' },
  enter_without_prefetch: { title: 'Enter without prefetch', hint: 'read_prefetched_results.__enter__ with no open submit_prefetch_task', severity: 'warn' },
  release_without_prefetch: { title: 'Release without prefetch', hint: 'finish_read_prefetched of a key with no open prefetch', severity: 'warn' },
};

export const PHASE_TEXT: Record<PhaseName, string> = {
  write: 'write (reserve → finish)',
  read: 'read (prefetch → release)',
  read_wait: 'read wait (prefetch → enter)',
  read_body: 'read body (enter → exit)',
  read_release: 'read release (exit → finish)',
};
