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
 * Every table, in load order. The `requests` table (one row per request, from the request analysis
 * in libs/trace/src/analyze) is to be added here with its columns, a row producer in rows.ts and
 * nothing else: staging, Parquet parts and the sql loader take their tables from this list.
 */
export const TABLES: readonly TableSpec[] = [CALLS, CALL_KEYS];
