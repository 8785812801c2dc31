/**
 * Chunk size for reading trace files. Measured on a 68 MB trace of 16-key records: TraceReader
 * decodes 64 KiB chunks 2-3x faster than fileStream's default 1 MiB (both export and replay read
 * every argument), so the CLI asks for 64 KiB.
 */
export const READ_CHUNK = 64 * 1024;

/**
 * Bytes per read from disk, handed on in READ_CHUNK views: `kvtrace info` on a 712 MB trace with
 * the page cache dropped took 5.5 s reading 64 KiB at a time and 2.5-3.2 s reading 4 MiB (warm: 2.6-3.5 s).
 */
export const READ_BYTES = 4 << 20;
