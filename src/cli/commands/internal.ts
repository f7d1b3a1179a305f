import type { Command } from 'commander';
import type { CliContext } from '../context.ts';

/**
 * Commands kimauth starts for itself, never typed by a person (hidden from `kimauth --help`):
 * `internal wal-checkpointer` is the helper process of KIMAUTH_WAL_CHECKPOINTS=background, started by `serve`.
 */
export function registerInternalCommand(program: Command, ctx: CliContext): void {
  const internal = program
    .command('internal', { hidden: true })
    .description('helper processes kimauth starts for itself (not for use by hand)')
    .addHelpText('after', '\nExamples:\n  $ kimauth internal wal-checkpointer --database /var/lib/kimauth/kimauth.db   # started by `kimauth serve`');
  internal
    .command('wal-checkpointer')
    .description("checkpoint the SQLite WAL of `serve` from a connection of its own until serve's pipe closes")
    .requiredOption('--database <file>', 'the database file serve has open')
    .option('--interval-ms <ms>', 'time between checkpoints', '100')
    .addHelpText('after', '\nExamples:\n  $ kimauth internal wal-checkpointer --database /var/lib/kimauth/kimauth.db')
    .action(async (opts: { database: string; intervalMs: string }) => {
      const { runWalCheckpointLoop } = await import('../../db/wal-checkpoint-loop.ts');
      const parentPid = process.ppid;
      const parentGone = () => new Promise<void>((resolve) => {
        ctx.io.stdin.on('end', resolve);
        ctx.io.stdin.on('close', resolve);
        ctx.io.stdin.resume();
        // A parent killed with SIGKILL closes the pipe too; the pid check is the belt to those braces.
        const watch = setInterval(() => process.ppid !== parentPid && resolve(), 1000);
        watch.unref();
      });
      try {
        await runWalCheckpointLoop(opts.database, { ready: () => ctx.io.stdout.write('ready\n'), parentGone }, Number(opts.intervalMs));
      } finally {
        ctx.io.stdin.destroy();
      }
    });
}
