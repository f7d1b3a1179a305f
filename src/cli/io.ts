import type { Readable } from 'node:stream';
import { processEnvironment } from '../app/environment.ts';

/** What a command may touch of the outside world; tests pass buffers, `main` passes the process's. */
export interface CliIo {
  stdout: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
  stdin: Readable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM); `serve` waits on it. */
  onShutdownSignal(handler: (signal: string) => void): void;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    // Getters: touching process.stdin opens it, which `--version` or `--help` should not pay for; process.stderr on
    // a pipe loads node:net, which a command that prints no note or error (`users list --json`) need not load.
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: processEnvironment(),
    onShutdownSignal(handler) {
      process.once('SIGINT', () => handler('SIGINT'));
      process.once('SIGTERM', () => handler('SIGTERM'));
    },
  };
}

export async function readAllStdin(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** A secret from stdin or a file: one line, trailing newline dropped, never echoed. */
export async function readSecret(io: CliIo, options: { stdin?: boolean; file?: string }): Promise<string | undefined> {
  let raw: string | undefined;
  if (options.stdin) raw = await readAllStdin(io.stdin);
  else if (options.file) raw = (await import('node:fs')).readFileSync(options.file, 'utf8');
  if (raw === undefined) return undefined;
  return raw.replace(/\r?\n$/, '');
}
