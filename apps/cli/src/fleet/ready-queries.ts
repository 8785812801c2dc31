/**
 * The README's ready queries ("Questions as SQL"), kept here so a test runs each one on a real
 * trace and checks that the README shows it word for word. Hits and waits come from the `requests`
 * table: the request analysis that `kvtrace analyze` and the inspector use (a read request found
 * the keys it read or released); a key is its five fields, as in LMCache.
 */
export interface ReadyQuery {
  title: string;
  sql: string;
}

export const READY_QUERIES: readonly ReadyQuery[] = [
  {
    title: 'Hit ratio per model per minute (keys read requests found / keys they asked for; undecided requests left out)',
    sql: `SELECT date_trunc('minute', to_timestamp(t_wall)) AS minute, model_name,
       sum(found)::BIGINT AS keys_found, sum(n_keys)::BIGINT AS keys_asked,
       round(sum(found) / sum(n_keys), 3) AS hit_ratio
FROM requests
WHERE kind = 'read' AND found IS NOT NULL
GROUP BY ALL
ORDER BY minute, model_name;`,
  },
  {
    title: 'p99 read wait per server (submit_prefetch_task to the read of the keys it found, per request: read_wait in kvtrace analyze)',
    sql: `SELECT server, count(*) AS reads, round(quantile_disc(wait_ms, 0.99), 3) AS p99_wait_ms
FROM requests
WHERE kind = 'read' AND wait_ms IS NOT NULL
GROUP BY server
ORDER BY server;`,
  },
  {
    title: 'Keys written but never read, per server and model',
    sql: `SELECT server, model_name, count(*) AS keys_never_read
FROM (
  SELECT DISTINCT k.server, k.chunk_hash, k.model_name, k.kv_rank, k.object_group_id, k.cache_salt
  FROM call_keys k JOIN calls c USING (server, call)
  WHERE c.method = 'finish_write'
) written
ANTI JOIN (
  SELECT k.server, k.chunk_hash, k.model_name, k.kv_rank, k.object_group_id, k.cache_salt
  FROM call_keys k JOIN calls c USING (server, call)
  WHERE c.method = 'read_prefetched_results.__enter__'
) read_keys USING (server, chunk_hash, model_name, kv_rank, object_group_id, cache_salt)
GROUP BY ALL
ORDER BY server, model_name;`,
  },
  {
    title: 'The 10 hottest keys (most reads, over all servers)',
    sql: `SELECT k.chunk_hash, k.model_name, count(*) AS reads, count(DISTINCT k.server) AS servers
FROM call_keys k JOIN calls c USING (server, call)
WHERE c.method = 'read_prefetched_results.__enter__'
GROUP BY ALL
ORDER BY reads DESC, chunk_hash
LIMIT 10;`,
  },
  {
    title: 'Calls per method per second',
    sql: `SELECT date_trunc('second', to_timestamp(t_wall)) AS second, method, count(*) AS calls
FROM calls
GROUP BY ALL
ORDER BY second, method;`,
  },
];
