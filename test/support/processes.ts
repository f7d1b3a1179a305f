import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const KIMAUTH_BIN = path.join(ROOT, 'bin/kimauth.mjs');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI (`node bin/kimauth.mjs …`, or another executable) to completion. */
export async function runKimauth(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; executable?: string[]; cwd?: string } = {},
): Promise<Finished> {
  const [cmd, ...pre] = options.executable ?? [process.execPath, KIMAUTH_BIN];
  const child = spawn(cmd, [...pre, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: options.cwd ?? ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(options.stdin ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs(): string;
  stop(signal?: NodeJS.Signals): Promise<Finished>;
}

/** Starts `kimauth serve --port 0` and resolves with its URL once it logs that it listens. */
export async function startServeProcess(
  dataDir: string,
  options: { env?: NodeJS.ProcessEnv; executable?: string[]; cwd?: string; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const [cmd, ...pre] = options.executable ?? [process.execPath, KIMAUTH_BIN];
  const child = spawn(cmd, [...pre, '--data-dir', dataDir, 'serve', '--port', '0'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${stdout}\n${stderr}`)), options.timeoutMs ?? 20_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      for (const line of stdout.split('\n')) {
        if (!line.includes('kimauth listening')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${stdout}\n${stderr}`)));
  });
  return {
    child,
    url,
    logs: () => stdout + stderr,
    async stop(signal = 'SIGTERM') {
      const closed = once(child, 'close');
      child.kill(signal);
      const [code] = (await closed) as [number | null];
      return { code, stdout, stderr };
    },
  };
}
