import Database from 'better-sqlite3';

/**
 * The helper process behind KIMAUTH_WAL_CHECKPOINTS=background (`kimauth internal wal-checkpointer`): its own
 * connection to the database file, running a PASSIVE checkpoint every `intervalMs`. PASSIVE never waits for
 * readers or the writer, so `serve` is never held up; what it cannot copy now is copied on the next round. The
 * loop ends when its parent goes away (stdin closes, or the parent pid changes), with a last checkpoint.
 */
export interface CheckpointLoopIo {
  /** Tells the parent the connection is open and checkpoints run ("ready"). */
  ready(): void;
  /** Starts watching the parent (once the database is open); resolves when it is gone or asks to stop. */
  parentGone(): Promise<void>;
}

const checkpointOnce = (db: Database.Database) => db.pragma('wal_checkpoint(PASSIVE)');

export async function runWalCheckpointLoop(databaseFile: string, io: CheckpointLoopIo, intervalMs = 100): Promise<void> {
  const db = new Database(databaseFile, { fileMustExist: true });
  // Waiting on a lock is the parent's business: a busy round is simply retried on the next tick.
  db.pragma('busy_timeout = 0');
  const timer = setInterval(() => {
    try {
      checkpointOnce(db);
    } catch {
      // SQLITE_BUSY while the parent runs a schema change or a backup: the next round tries again.
    }
  }, intervalMs);
  io.ready();
  await io.parentGone();
  clearInterval(timer);
  try {
    checkpointOnce(db);
  } finally {
    db.close();
  }
}
