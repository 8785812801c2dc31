/**
 * The README's ready queries ("Questions as SQL"), kept here so a test runs each one on a real
 * trace and checks that the README shows it word for word. Traces are entry-only: a hit is a key
 * that a read scope (read_prefetched_results.__enter__) took after its prefetch asked for it; a key
 * is its five fields, as in LMCache.
 */
export interface ReadyQuery {
  title: string;
  sql: string;
}

export const READY_QUERIES: readonly ReadyQuery[] = [
  {
    title: 'Hit ratio per model per minute (keys read after a prefetch / keys the prefetches asked for)',
    sql: `SELECT minute, model_name, keys_read, keys_asked, round(keys_read / keys_asked, 3) AS hit_ratio
FROM (
  SELECT date_trunc('minute', to_timestamp(c.t_wall)) AS minute, k.model_name,
         count(*) FILTER (WHERE c.method = 'read_prefetched_results.__enter__') AS keys_read,
         count(*) FILTER (WHERE c.method = 'submit_prefetch_task') AS keys_asked
  FROM calls c JOIN call_keys k USING (server, call)
  GROUP BY ALL
)
WHERE keys_asked > 0
ORDER BY minute, model_name;`,
  },
  {
    title: 'p99 read wait per server (submit_prefetch_task to the read of its keys: read_wait in the inspector)',
    sql: `WITH first_key AS (
  SELECT c.server, c.method, c.t_mono, k.chunk_hash, k.model_name
  FROM calls c JOIN call_keys k ON k.server = c.server AND k.call = c.call AND k.position = 0
  WHERE c.method IN ('submit_prefetch_task', 'read_prefetched_results.__enter__')
)
SELECT p.server, count(*) AS reads,
       round(1000 * quantile_disc(r.t_mono - p.t_mono, 0.99), 3) AS p99_wait_ms
FROM (SELECT * FROM first_key WHERE method = 'read_prefetched_results.__enter__') r
ASOF JOIN (SELECT * FROM first_key WHERE method = 'submit_prefetch_task') p
  ON p.server = r.server AND p.chunk_hash = r.chunk_hash AND p.model_name = r.model_name AND r.t_mono >= p.t_mono
GROUP BY p.server
ORDER BY p.server;`,
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
