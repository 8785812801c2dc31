/**
 * Child process for the SIGKILL tests: records traced calls as fast as it can (yielding to the
 * event loop so the bus drains) and prints "ready" after its first batch is written; the parent
 * kills it. Each reserve_write is followed by a `tick(seq)` record numbering the calls, so a
 * reader can check that nothing was lost or repeated. `argv[3]`, when given, rotates segments at
 * that many bytes, and "ready" then waits for the third segment.
 */
import { setupTracing } from '../record/setup.ts';
import { traceMethods } from '../publish/traced.ts';
import { STORAGE_METHOD_SPECS } from '../publish/storage-methods.ts';
import { CHUNK_LAYOUT, randomKeys } from './keys.ts';

const path = process.argv[2]!;
const maxSegmentBytes = process.argv[3] ? Number(process.argv[3]) : undefined;
const session = setupTracing({ path, config: { purpose: 'sigkill-test' }, maxSegmentBytes });
const sm = traceMethods(
  {
    reserve_write(keys: unknown[], _layout: unknown, _mode: string) {
      return keys.length;
    },
    tick(seq: number) {
      return seq;
    },
  },
  {
    reserve_write: STORAGE_METHOD_SPECS.reserveWrite,
    tick: { qualname: 'kvtrace.test.Counter.tick', params: ['seq'] },
  },
  session,
);
const keys = randomKeys(16, 3);
let announced = false;
let seq = 0;
function burst(): void {
  for (let i = 0; i < 500; i++) {
    sm.reserve_write(keys, CHUNK_LAYOUT, 'new');
    sm.tick(seq++);
  }
  const ready = maxSegmentBytes === undefined ? session.recorder.stats.recordsWritten > 0 : session.recorder.stats.segments >= 3;
  if (!announced && ready) {
    announced = true;
    process.stdout.write('ready\n');
  }
  setImmediate(burst);
}
burst();
