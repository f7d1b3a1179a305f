import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';

export type Sqlite = Database.Database;
/**
 * The query builder over the stores' own tables (each store imports its context's tables.ts). Without a schema:
 * kimauth uses no relational queries (`db.query.…`), and building their config for every table at each open cost
 * every command's start (issue 14). drizzle-kit reads the tables from db/schema.ts.
 */
export type Db = BetterSQLite3Database;

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
  // Deleted and overwritten content is zeroed in the file, not left in freed pages for a copy of the disk to read.
  sqlite.pragma('secure_delete = ON');
  makeTransactionsImmediate(sqlite);
  const db = drizzle(sqlite);
  return {
    sqlite,
    db,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/**
 * Every `sqlite.transaction(fn)()` in kimauth begins IMMEDIATE: it takes the write lock up front, so a
 * transaction that reads before it writes waits on busy_timeout instead of failing with SQLITE_BUSY when
 * another process on the same data dir writes first (a deferred transaction cannot be retried by SQLite
 * once it has read). Nested calls still become savepoints.
 */
function makeTransactionsImmediate(sqlite: Sqlite): void {
  const deferred = sqlite.transaction.bind(sqlite);
  sqlite.transaction = ((fn: (...args: never[]) => unknown) => {
    const tx = deferred(fn);
    // The variant properties are non-enumerable on better-sqlite3's function, so copy them by name.
    return Object.assign((...args: never[]) => tx.immediate(...args), {
      default: tx.immediate,
      deferred: tx.deferred,
      immediate: tx.immediate,
      exclusive: tx.exclusive,
    });
  }) as Sqlite['transaction'];
}
