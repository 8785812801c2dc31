export type StorageErrorCode = 'bad_argument' | 'not_reserved' | 'size_mismatch' | 'closed';

/** A caller mistake the manager refuses without changing any state (the server maps it to a 4xx). */
export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}
