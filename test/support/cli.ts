import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/program.ts';
import type { CliIo } from '../../src/cli/io.ts';
import type { Clock } from '../../src/app/clock.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs the real command tree (or `run`, e.g. the binary's CLI core) in-process with captured stdio and no TTY. */
export async function cli(
  argv: string[],
  options: { stdin?: string; env?: NodeJS.ProcessEnv; clock?: Clock; run?: typeof runCli } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
    stdin: Readable.from(options.stdin !== undefined ? [options.stdin] : []) as CliIo['stdin'],
    env: options.env ?? {},
    onShutdownSignal: () => undefined,
  };
  const code = await (options.run ?? runCli)(argv, io, options.clock);
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
