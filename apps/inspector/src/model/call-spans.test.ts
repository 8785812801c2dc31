import { describe, expect, it } from 'vitest';
import { CallSpanCache } from './call-spans.ts';
import type { AnalysisPort, AnalysisRequest, AnswerOf, CallSpan } from './queries.ts';

const span = (call: number, duration: number): CallSpan => ({ call, span: call, kind: 'read', status: 'ok', externalRequestId: `req-${call}`, duration, phases: {} });

/** A port whose answers the test releases; it counts what it was asked. */
function port(durationOf: () => number) {
  const asked: number[][] = [];
  const waiting: (() => void)[] = [];
  const p: AnalysisPort = {
    request: <R extends AnalysisRequest>(req: R) =>
      new Promise<AnswerOf[R['kind']]>((resolve) => {
        if (req.kind !== 'callSpans') throw new Error(req.kind);
        asked.push([...req.calls]);
        const d = durationOf();
        waiting.push(() => resolve(req.calls.map((c) => span(c, d)) as AnswerOf[R['kind']]));
      }),
  };
  const release = async () => {
    for (const w of waiting.splice(0)) w();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { p, asked, release };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('CallSpanCache', () => {
  it('asks for the rows on screen in one message per tick, once each, and only when enabled', async () => {
    const { p, asked, release } = port(() => 0.01);
    const c = new CallSpanCache();
    c.attach(p);
    c.request([1, 2]);
    await tick();
    expect(asked).toEqual([]);
    c.setEnabled(true);
    c.request([1, 2]);
    c.request([2, 3]);
    await tick();
    expect(asked).toEqual([[1, 2, 3]]);
    c.request([3]);
    await release();
    expect(c.get(2)?.duration).toBe(0.01);
    c.request([1, 2, 3]);
    await tick();
    expect(asked).toHaveLength(1);
  });

  it('keeps showing what it knows after invalidate, and replaces it when the new answer comes', async () => {
    let d = 0.01;
    const { p, asked, release } = port(() => d);
    const c = new CallSpanCache();
    c.attach(p);
    c.setEnabled(true);
    c.request([7]);
    await tick();
    await release();
    d = 0.02;
    c.invalidate();
    expect(c.get(7)?.duration).toBe(0.01);
    c.request([7]);
    await tick();
    expect(asked).toEqual([[7], [7]]);
    await release();
    expect(c.get(7)?.duration).toBe(0.02);
  });

  it('drops the answer for a trace that was replaced', async () => {
    const first = port(() => 0.5);
    const c = new CallSpanCache();
    c.attach(first.p);
    c.setEnabled(true);
    c.request([4]);
    await tick();
    c.attach(port(() => 1).p);
    await first.release();
    expect(c.get(4)).toBeUndefined();
  });
});
