import { isSingleExecutable } from './assets.ts';

/**
 * How to start this same kimauth again as a child process: the single binary is its own executable; a checkout
 * runs Node with the same flags on the same entry script (bin/kimauth.mjs, which registers tsx itself).
 */
export function selfCommand(args: string[]): { command: string; args: string[] } {
  if (isSingleExecutable()) return { command: process.execPath, args };
  return { command: process.execPath, args: [...process.execArgv, process.argv[1], ...args] };
}
