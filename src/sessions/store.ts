import type { Deps } from '../app/deps.ts';

/** Whether a session may still carry access tokens: the two columns every Bearer check reads. */
export interface SessionLiveness {
  revokedAtMs: number | null;
  expiresAtMs: number;
}

/** The session of an access token, bound to its user (a token naming another user's session finds nothing). */
export function selectSessionLiveness(deps: Deps, sessionId: string, userId: string): SessionLiveness | undefined {
  const r = deps.statement('SELECT revoked_at, expires_at FROM sessions WHERE id = ? AND user_id = ?').get(sessionId, userId) as
    | { revoked_at: number | null; expires_at: number }
    | undefined;
  return r ? { revokedAtMs: r.revoked_at, expiresAtMs: r.expires_at } : undefined;
}
