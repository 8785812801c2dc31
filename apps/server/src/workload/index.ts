/** `@kvtrace/server/workload`: the demo traffic generator (a client of the HTTP API; no Fastify). */
export { runWorkload, summaryRows, chunkBytes, type WorkloadOptions, type WorkloadResult } from './run.ts';
export { planRequests, layoutOfKib, DEFAULT_LAYOUT, DEFAULT_MODEL, rng, type PlanOptions, type PlannedRequest } from './plan.ts';
export { KvClient, HttpStatusError, type StoreResult, type RetrieveResult } from './client.ts';
