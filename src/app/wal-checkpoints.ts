import { databasePath, type Deps } from './deps.ts';
import { selfCommand } from './self-command.ts';
import { startWalCheckpointer, type WalCheckpointer } from '../db/wal-checkpointer.ts';

/**
 * What `serve` does about WAL checkpoints (KIMAUTH_WAL_CHECKPOINTS): with `background`, this same kimauth runs
 * `internal wal-checkpointer` on the instance's database beside it; with `inline`, nothing (SQLite's default).
 */
export async function startServeCheckpoints(deps: Deps): Promise<WalCheckpointer | undefined> {
  if (deps.config.walCheckpoints !== 'background') return undefined;
  const command = selfCommand(['internal', 'wal-checkpointer', '--database', databasePath(deps.config)]);
  return startWalCheckpointer({ sqlite: deps.sqlite, command, logger: deps.logger });
}
