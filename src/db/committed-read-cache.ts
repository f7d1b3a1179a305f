import type { Database } from 'better-sqlite3';

/**
 * Rows that nearly never change but are read on every request (a tenant by its slug, an OAuth client), kept in
 * memory for as long as they cannot have changed:
 *   - another connection (a `kimauth tenants update` from the shell) committed nothing since they were read:
 *     SQLite's `PRAGMA data_version` changes on every commit of another connection;
 *   - this connection did not write the table: the owning store calls `invalidate()` in each of its writes.
 * Only reads made outside a transaction are kept, so a value seen inside a transaction that later rolls back is
 * never remembered. Only rows that exist are kept: an unknown key is read again, so a new row is seen at once and
 * a flood of made-up keys cannot fill memory. Values are frozen: callers share them.
 */
export interface CommittedReadCache<V extends object> {
  get(key: string, load: () => V | undefined): V | undefined;
  invalidate(): void;
}

export function createCommittedReadCache<V extends object>(sqlite: Database, maxEntries = 10_000): CommittedReadCache<V> {
  const dataVersion = sqlite.prepare('PRAGMA data_version').pluck();
  const entries = new Map<string, V>();
  let seenVersion: unknown;
  return {
    get(key, load) {
      const version = dataVersion.get();
      if (version !== seenVersion) {
        entries.clear();
        seenVersion = version;
      }
      const hit = entries.get(key);
      if (hit) return hit;
      const value = load();
      if (value && !sqlite.inTransaction) {
        if (entries.size >= maxEntries) entries.clear();
        entries.set(key, Object.freeze(value));
      }
      return value;
    },
    invalidate() {
      entries.clear();
    },
  };
}

/**
 * One cache per connection: every copy of a Deps (a request's, a command's) shares the connection, so a write through
 * any of them invalidates what all of them read.
 */
export function cachePerOwner<O extends object, V extends object>(make: (owner: O) => CommittedReadCache<V>): (owner: O) => CommittedReadCache<V> {
  const caches = new WeakMap<O, CommittedReadCache<V>>();
  return (owner) => {
    let cache = caches.get(owner);
    if (!cache) caches.set(owner, (cache = make(owner)));
    return cache;
  };
}
