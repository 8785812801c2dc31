/**
 * Child process for the SIGKILL test: records traced calls as fast as it can (yielding to the event
 * loop so the bus drains) and prints "ready" after its first batch is written; the parent kills it.
 */
import { setupTracing } from '../record/setup.ts';
import { traceMethods } from '../publish/traced.ts';
import { LAYOUT, makeKey, rng } from './workload.ts';

const path = process.argv[2]!;
const session = setupTracing({ path, config: { purpose: 'sigkill-test' } });
const sm = traceMethods(
  { reserve_write(keys: unknown[], _layout: unknown, _mode: string) { return keys.length; } },
  { reserve_write: { qualname: 'lmcache.v1.distributed.storage_manager.StorageManager.reserve_write', params: ['keys', 'layout_desc', 'mode'] } },
  session,
);
const rand = rng(3);
const keys = Array.from({ length: 16 }, () => makeKey(rand));
let announced = false;
function burst(): void {
  for (let i = 0; i < 500; i++) sm.reserve_write(keys, LAYOUT, 'new');
  if (!announced && session.recorder.stats.recordsWritten > 0) {
    announced = true;
    process.stdout.write('ready\n');
  }
  setImmediate(burst);
}
burst();
