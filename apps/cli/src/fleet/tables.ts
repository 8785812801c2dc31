/**
 * The tables `kvtrace export --format parquet` writes and `kvtrace sql` queries: one place for
 * their names, columns and types (issue 14). `server` is not stored in the Parquet files: it is the
 * Hive partition (`calls/server=NAME/part-0.parquet`), which Spark, DuckDB, Trino and pyarrow turn
 * back into a column; in a `kvtrace sql` database it is a real first column.
 */

export type ColumnType = 'BIGINT' | 'INTEGER' | 'DOUBLE' | 'VARCHAR';

export interface Column {
  name: string;
  type: ColumnType;
  doc: string;
}

export interface TableSpec {
  name: string;
  /** Without `server`. */
  columns: readonly Column[];
}

export const CALLS: TableSpec = {
  name: 'calls',
  columns: [
    { name: 'call', type: 'BIGINT', doc: "the record's index in its trace (counted on across rotated segments)" },
    { name: 't_wall', type: 'DOUBLE', doc: 'Unix seconds when the call began (the recorded t_wall)' },
    { name: 't_mono', type: 'DOUBLE', doc: "seconds since the trace's first header t_mono_start" },
    { name: 'method', type: 'VARCHAR', doc: 'storage-manager method (`reserve_write`, ...); other qualnames in full' },
    { name: 'n_keys', type: 'INTEGER', doc: 'ObjectKeys in the call (its rows in call_keys)' },
    { name: 'external_request_id', type: 'VARCHAR', doc: 'the request id argument; NULL when absent or empty' },
    { name: 'args', type: 'VARCHAR', doc: 'all arguments as JSON text (bytes as hex, keys as objects, enums by name)' },
    // `offset` is an SQL keyword: every query would have to quote it.
    { name: 'frame_offset', type: 'BIGINT', doc: "byte offset of the record's frame in its file (a rotated trace: in its segment)" },
  ],
};

export const CALL_KEYS: TableSpec = {
  name: 'call_keys',
  columns: [
    { name: 'call', type: 'BIGINT', doc: 'the call (calls.call of the same server)' },
    { name: 'position', type: 'INTEGER', doc: "0-based position in the call's key list" },
    { name: 'chunk_hash', type: 'VARCHAR', doc: 'lowercase hex' },
    { name: 'model_name', type: 'VARCHAR', doc: '' },
    { name: 'kv_rank', type: 'BIGINT', doc: 'packed world<<24 | global_rank<<16 | local_world<<8 | local_rank' },
    { name: 'object_group_id', type: 'BIGINT', doc: '' },
    { name: 'cache_salt', type: 'VARCHAR', doc: '' },
  ],
};

/**
 * One row per request, from the request analysis (libs/trace/src/analyze, the same as `kvtrace
 * analyze` and the inspector's Requests tab): a read request is a submit_prefetch_task with its
 * read and release, a write a reserve_write with its finish_write.
 */
export const REQUESTS: TableSpec = {
  name: 'requests',
  columns: [
    { name: 'request', type: 'BIGINT', doc: 'the request, numbered in order of its first call' },
    { name: 'kind', type: 'VARCHAR', doc: '`read` or `write`' },
    { name: 'status', type: 'VARCHAR', doc: 'done, leaked (a read lock proven held at the end), undecided, miss (found nothing), refused, warm' },
    { name: 'external_request_id', type: 'VARCHAR', doc: 'NULL when absent or empty' },
    { name: 'model_name', type: 'VARCHAR', doc: 'model of its first key' },
    { name: 'call', type: 'BIGINT', doc: 'its first call (submit_prefetch_task or reserve_write): calls.call' },
    { name: 'enter_call', type: 'BIGINT', doc: 'read_prefetched_results.__enter__ (NULL: never read)' },
    { name: 'exit_call', type: 'BIGINT', doc: 'read_prefetched_results.__exit__' },
    { name: 'finish_call', type: 'BIGINT', doc: 'finish_read_prefetched or finish_write (NULL: still open)' },
    { name: 't_wall', type: 'DOUBLE', doc: 'Unix seconds of its first call' },
    { name: 'n_keys', type: 'INTEGER', doc: 'keys submitted (read) or reserved (write)' },
    { name: 'found', type: 'INTEGER', doc: 'keys read or released (read), finished (write); NULL when undecided' },
    { name: 'hit_ratio', type: 'DOUBLE', doc: 'found / n_keys for reads; NULL for writes and undecided reads' },
    { name: 'wait_ms', type: 'DOUBLE', doc: 'submit to the read (read_wait)' },
    { name: 'read_ms', type: 'DOUBLE', doc: 'the read scope, enter to exit (read_body)' },
    { name: 'release_ms', type: 'DOUBLE', doc: 'exit to finish_read_prefetched (read_release)' },
    { name: 'total_ms', type: 'DOUBLE', doc: 'first call to last (NULL while open)' },
  ],
};

/** Every table, in load order: staging, Parquet parts and the sql loader take their tables from this list. */
export const TABLES: readonly TableSpec[] = [CALLS, CALL_KEYS, REQUESTS];
