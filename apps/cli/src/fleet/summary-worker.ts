/**
 * A worker of `kvtrace info`'s parallel read (parallel-summary.ts): checks the records of one part
 * of a file (whole frames) and answers with the part's figures.
 */
import { parentPort } from 'node:worker_threads';
import { createDefaultRegistry, summarizeFrames } from '@kvtrace/trace';
import type { PartRequest, PartAnswer } from './parallel-summary.ts';

/** One registry for every part: building one per part cost more than checking a small part. */
const registry = createDefaultRegistry();

parentPort!.on('message', (m: PartRequest) => {
  let answer: PartAnswer;
  try {
    answer = { seq: m.seq, buf: m.buf, figures: summarizeFrames(new Uint8Array(m.buf, m.start, m.end - m.start), m.offset, { registry }) };
  } catch (e) {
    answer = { seq: m.seq, buf: m.buf, error: (e as Error).message };
  }
  parentPort!.postMessage(answer, [m.buf]);
});
