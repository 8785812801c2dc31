import { describe, expect, it } from 'vitest';
import type { CallSpan } from '../model/queries.ts';
import { requestDurationText, spanCell, spanTitle } from './span-text.ts';

const read = (over: Partial<CallSpan>): CallSpan => ({ call: 3, span: 1, kind: 'read', status: 'done', externalRequestId: 'req-17', duration: 0.0124, phases: { read_wait: 0.003, read_body: 0.001, read_release: 0.0084 }, ...over });

describe('the duration column', () => {
  it("shows the request's duration, and the request with its phases on hover", () => {
    expect(spanCell(read({}))).toBe('12.4 ms');
    expect(spanTitle(read({}))).toBe('read request req-17 (done) 12.4 ms: wait 3.0 ms · read 1.0 ms · release 8.4 ms');
    const write: CallSpan = { call: 0, span: 0, kind: 'write', status: 'done', externalRequestId: '', duration: 0.002, phases: { write: 0.002 } };
    expect(spanTitle(write)).toBe('write request (done) 2.0 ms: write 2.0 ms');
  });

  it('says how a request without an end stands, and nothing for a call in no request', () => {
    expect(spanCell(read({ status: 'miss', duration: NaN, phases: {} }))).toBe('miss');
    expect(spanTitle(read({ status: 'miss', duration: NaN, phases: {} }))).toBe('read request req-17 (miss) found nothing: no read followed');
    expect(spanCell(read({ status: 'undecided', duration: NaN, phases: { read_wait: 0.003 } }))).toBe('open');
    expect(spanTitle(read({ status: 'undecided', duration: NaN, phases: { read_wait: 0.003, read_body: NaN } }))).toMatch(/not ended by the end of the trace .*: wait 3\.0 ms$/);
    expect(spanCell({ call: 1, span: -1, kind: null, status: '', externalRequestId: '', duration: NaN, phases: {} })).toBe('');
    expect(spanCell(undefined)).toBe('');
  });

  it("is the Requests panel's total too (a miss reads 'miss' there as here, not 'open')", () => {
    expect(requestDurationText(NaN, 'miss')).toBe('miss');
    expect(requestDurationText(NaN, 'refused')).toBe('refused');
    expect(requestDurationText(NaN, 'undecided')).toBe('open');
    expect(requestDurationText(0.0124, 'done')).toBe('12.4 ms');
  });
});
