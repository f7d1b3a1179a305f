import type { Deps } from '../app/deps.ts';
import { deleteSessionsEndedBefore } from './store.ts';

export interface PurgedSessions {
  sessions: number;
  refreshTokens: number;
}

/**
 * Deletes sessions that ended (revoked, or past their refresh window) before `endedBefore`, with their
 * refresh tokens. Ended sessions stay listed for a retention window so that `users sessions list` and
 * support can still see them; live sessions and their rotated tokens (kept for reuse detection) are untouched.
 * Call inside the transaction that audits the purge.
 */
export function purgeEndedSessions(deps: Deps, endedBefore: Date): PurgedSessions {
  if (!deps.sqlite.inTransaction) throw new Error('purgeEndedSessions must run inside the transaction of its audit entry');
  return deleteSessionsEndedBefore(deps, endedBefore);
}
