import { processIo, type CliIo } from './io.ts';

/** Runs the process's command line with `run` (the full CLI, or the single binary's CLI core) and sets the exit code. */
export function startCli(run: (argv: string[], io: CliIo) => Promise<number>): void {
  // `kimauth … | head` closes the pipe early: the reader has what it wanted, so stop quietly instead of
  // printing a stack trace for the write that failed.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });

  run(process.argv.slice(2), processIo()).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
