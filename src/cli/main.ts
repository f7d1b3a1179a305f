import { runCli } from './program.ts';
import { processIo } from './io.ts';

// `kimauth … | head` closes the pipe early: the reader has what it wanted, so stop quietly instead of
// printing a stack trace for the write that failed.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});

runCli(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
