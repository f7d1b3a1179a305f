import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import * as schema from './schema.ts';

export type Sqlite = Database.Database;
export type Db = BetterSQLite3Database<typeof schema>;

export interface DatabaseHandle {
  sqlite: Sqlite;
  db: Db;
  close(): void;
}

/**
 * Opens the embedded store. WAL lets readers run beside the one writer; busy_timeout makes a second
 * process on the same data dir wait for the write lock instead of failing.
 */
export function openDatabase(file: string | Buffer, options: { readonly?: boolean } = {}): DatabaseHandle {
  // A Buffer is a serialized database image, opened in memory (tests clone a prepared instance this way).
  const sqlite = new Database(file, { readonly: options.readonly ?? false, fileMustExist: Boolean(options.readonly) });
  if (typeof file === 'string' && file !== ':memory:' && !options.readonly) sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('synchronous = NORMAL');
  const db = drizzle(sqlite, { schema });
  return {
    sqlite,
    db,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}
