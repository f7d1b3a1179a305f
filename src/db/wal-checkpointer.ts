import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Database } from 'better-sqlite3';

/** SQLite's own default: the commit that brings the WAL to this many pages checkpoints it. */
export const INLINE_AUTOCHECKPOINT_PAGES = 1000;

export interface WalCheckpointer {
  /** Whether checkpoints run in the helper process now (false before it is ready and after it failed). */
  running(): boolean;
  stop(): Promise<void>;
}

export interface WalCheckpointerOptions {
  sqlite: Database;
  /** The command that runs `kimauth internal wal-checkpointer` on the same database file. */
  command: { command: string; args: string[] };
  logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

/**
 * KIMAUTH_WAL_CHECKPOINTS=background (issue 11's refresh and sign-in paths): with SQLite's default, the commit
 * that fills the WAL copies it back into the database and waits for two fsyncs, on the event loop — on this
 * machine's disk about half of a refresh grant's wall time. Here a helper process on its own connection
 * checkpoints every 100 ms, and this connection stops checkpointing only once the helper says it is ready.
 * When the helper dies, SQLite's inline checkpoints come back at once: the WAL never grows without bound.
 */
export async function startWalCheckpointer(options: WalCheckpointerOptions): Promise<WalCheckpointer> {
  const { sqlite, logger } = options;
  let child: ChildProcess | undefined;
  let running = false;
  let stopping = false;
  const inline = () => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${INLINE_AUTOCHECKPOINT_PAGES}`);
    running = false;
  };
  try {
    child = spawn(options.command.command, options.command.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('not ready after 15 s')), 15_000);
      let out = '';
      child!.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('ready\n')) resolve();
      });
      child!.once('exit', (code) => reject(new Error(`the WAL checkpointer exited with ${code}`)));
      child!.once('error', reject);
    }).finally(() => clearTimeout(timer));
    child.on('exit', (code, signal) => {
      inline();
      if (!stopping) logger.warn({ code, signal, stderr }, 'the WAL checkpointer stopped; checkpoints run inline again');
    });
    sqlite.pragma('wal_autocheckpoint = 0');
    running = true;
    logger.info({ pid: child.pid }, 'WAL checkpoints run in a helper process');
  } catch (err) {
    child?.kill();
    inline();
    logger.warn({ err: (err as Error).message }, 'the WAL checkpointer did not start; checkpoints run inline');
  }
  return {
    running: () => running,
    async stop() {
      stopping = true;
      inline();
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit', { signal: AbortSignal.timeout(5_000) });
        child.stdin!.end();
        await exited.catch(() => child!.kill('SIGKILL'));
      }
    },
  };
}
