import { useSyncExternalStore } from 'react';

export interface Observable<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
}

/** The one bridge from the framework-free model to React. */
export function useExternal<T>(store: Observable<T>): T {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
