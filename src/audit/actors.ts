import { userInfo } from 'node:os';
import type { Actor } from './audit-log.ts';

/** The operator at the shell: the OS user, through the CLI. */
export function cliActor(): Actor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // No passwd entry (containers): keep 'unknown' rather than fail the command.
  }
  return { type: 'operator', id: name, channel: 'cli' };
}

export function systemActor(job: string): Actor {
  return { type: 'system', id: job, channel: 'job' };
}

export function userActor(userId: string): Actor {
  return { type: 'user', id: userId, channel: 'http' };
}

export const ANONYMOUS_HTTP: Actor = { type: 'anonymous', id: null, channel: 'http' };
