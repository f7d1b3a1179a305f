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
 * Runs synchronous reads in one deferred (read) transaction: they see one consistent snapshot, and in WAL mode
 * take the read lock once — each statement on its own takes and releases it with a few system calls, which on a
 * hot path of several reads (the authorization check) is a large part of their cost. For reads only: a write
 * belongs in `sqlite.transaction`, which takes the write lock up front. Inside a transaction it just runs `fn`.
 */
export function createReadSnapshot(sqlite: Sqlite): <T>(fn: () => T) => T {
  const begin = sqlite.prepare('BEGIN DEFERRED');
  const commit = sqlite.prepare('COMMIT');
  return (fn) => {
    if (sqlite.inTransaction) return fn();
    begin.run();
    let result;
    try {
      result = fn();
    } catch (err) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      throw err;
    }
    commit.run();
    if (result instanceof Promise) throw new Error('readSnapshot takes synchronous work: no transaction may span an await');
    return result;
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
