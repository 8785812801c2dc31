/**
 * `@kvtrace/server/storage`: the storage manager without any HTTP, for the server and for
 * `kvtrace replay` (which builds in-process managers from flags or from a trace header's config).
 */
import { traceMethods, type Tracer } from '@kvtrace/trace';
import { TRACED_METHODS, type StorageManagerApi } from './api.ts';
import type { StorageConfig } from './config.ts';
import { StorageManager } from './storage-manager.ts';

export * from './api.ts';
export {
  DEFAULT_STORAGE_CONFIG,
  EVICTION_POLICIES,
  STORAGE_FLAGS,
  storageConfigFromFlags,
  storageConfigFromJson,
  storageConfigJson,
  l1CapacityBytes,
  type EvictionPolicy,
  type StorageConfig,
} from './config.ts';
export { StorageManager, StorageError, type StorageErrorCode, type StorageManagerStats } from './storage-manager.ts';

/** An untraced manager. */
export function createStorageManager(config: StorageConfig): StorageManager {
  return new StorageManager(config);
}

/** Replaces the traced methods of `sm` (in place) with wrappers that publish to `tracer`. */
export function traceStorageManager<T extends StorageManagerApi>(sm: T, tracer: Tracer): T {
  return traceMethods(sm, TRACED_METHODS as Partial<Record<keyof T & string, (typeof TRACED_METHODS)[keyof typeof TRACED_METHODS]>>, tracer);
}
