import { FLAG_RULES, FLAG_SEVERITY, type FlagKind, type PhaseName } from '@kvtrace/trace';

export type FlagTone = 'err' | 'warn' | 'info';

/** Each flag kind's title, its rule (one sentence, from libs/trace), and how loud it is. */
export const FLAG_TEXT: Record<FlagKind, { title: string; rule: string; severity: FlagTone }> = {
  read_leaked: { title: 'Leaked read lock', rule: FLAG_RULES.read_leaked, severity: tone('read_leaked') },
  read_undecided: { title: 'Read lock undecided', rule: FLAG_RULES.read_undecided, severity: tone('read_undecided') },
  write_undecided: { title: 'Write lock undecided', rule: FLAG_RULES.write_undecided, severity: tone('write_undecided') },
  enter_without_submit: { title: 'Read without a request', rule: FLAG_RULES.enter_without_submit, severity: tone('enter_without_submit') },
  exit_without_enter: { title: 'Exit without enter', rule: FLAG_RULES.exit_without_enter, severity: tone('exit_without_enter') },
  release_without_lock: { title: 'Release of no lock', rule: FLAG_RULES.release_without_lock, severity: tone('release_without_lock') },
  finish_without_reserve: { title: 'Finish without reservation', rule: FLAG_RULES.finish_without_reserve, severity: tone('finish_without_reserve') },
};

/** Proven leaks are errors; what the trace cannot decide is a warning; calls that pair with nothing are notes. */
function tone(k: FlagKind): FlagTone {
  const s = FLAG_SEVERITY[k];
  return s === 'leak' ? 'err' : s === 'undecided' ? 'warn' : 'info';
}

export const PHASE_TEXT: Record<PhaseName, string> = {
  read: 'read request (submit → release)',
  read_wait: 'wait (submit → enter)',
  read_body: 'read (enter → exit)',
  read_release: 'release (exit → finish)',
  write: 'write (reserve → finish)',
};

/** The query field that reads each phase (a histogram brush writes it into the filter). */
export const PHASE_FIELD: Partial<Record<PhaseName, string>> = { read: 'dur', read_wait: 'wait', read_body: 'body', read_release: 'release', write: 'write' };
