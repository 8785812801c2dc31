/// <reference lib="webworker" />
import type { ShardRequest } from './protocol.ts';
import { answerUnit } from './shards.ts';

/**
 * A shard worker, started by the loading worker (shards.ts): indexes the units it is sent, one after
 * another, and posts each part back with its buffers transferred.
 */
const scope = self as unknown as DedicatedWorkerGlobalScope;
let chain: Promise<void> = Promise.resolve();

scope.onmessage = (e: MessageEvent<ShardRequest>) => {
  const req = e.data;
  chain = chain.then(async () => {
    const { msg, transfer } = await answerUnit(req);
    scope.postMessage(msg, transfer);
  });
};
