import type { SessionLiveness } from './store.ts';

/** Why a session can no longer be used, or null while it is live: revoked wins over expired. */
export function sessionEnded(session: SessionLiveness, nowMs: number): 'revoked' | 'expired' | null {
  if (session.revokedAtMs !== null) return 'revoked';
  if (session.expiresAtMs <= nowMs) return 'expired';
  return null;
}
