import { formatDuration } from '../model/format.ts';
import type { CallSpan } from '../model/queries.ts';

const PHASE_SHORT: Record<string, string> = { read_wait: 'wait', read_body: 'read', read_release: 'release', write: 'write' };

/** Why a request has no duration, by its status (analyze/types.ts SpanStatus). */
const NO_END: Record<string, string> = {
  miss: 'found nothing: no read followed',
  refused: 'refused: never finished',
  warm: 'a WARM prefetch takes no locks: nothing to end',
  undecided: 'not ended by the end of the trace (it may still hold a lock)',
  leaked: 'a read lock is still held at the end of the trace',
};

/**
 * A request's duration as the call table and the Requests panel show it: the duration, or for a
 * request that never ended, how it stands (`miss`, `refused`, `warm`, `leaked`, `open`).
 */
export function requestDurationText(duration: number, status: string): string {
  if (!Number.isNaN(duration)) return formatDuration(duration);
  return status === 'undecided' || status === 'done' ? 'open' : status;
}

/** The duration column's text: the call's request's (requestDurationText); '' when the call is in no request. */
export function spanCell(s: CallSpan | undefined): string {
  return !s || s.span < 0 ? '' : requestDurationText(s.duration, s.status);
}

/**
 * The duration cell's tooltip: which request (its external_request_id), how it ended, and its
 * phases ("read request req-17 (done) 12.4 ms: wait 3.0 ms · read 1.0 ms · release 8.4 ms").
 */
export function spanTitle(s: CallSpan | undefined): string {
  if (!s) return '';
  if (s.span < 0) return 'This call is in no request span.';
  const who = `${s.kind} request${s.externalRequestId ? ` ${s.externalRequestId}` : ''} (${s.status})`;
  const total = Number.isNaN(s.duration) ? (NO_END[s.status] ?? 'still open at the end of the trace') : formatDuration(s.duration);
  const phases = Object.entries(s.phases)
    .filter(([, d]) => d !== undefined && !Number.isNaN(d))
    .map(([p, d]) => `${PHASE_SHORT[p] ?? p} ${formatDuration(d)}`);
  return `${who} ${total}${phases.length > 0 ? `: ${phases.join(' · ')}` : ''}`;
}
