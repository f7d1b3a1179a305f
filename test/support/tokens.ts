import type { Deps } from '../../src/app/deps.ts';
import { findUserById } from '../../src/identity/users.ts';
import { startSession } from '../../src/sessions/sessions.ts';
import { issueAccessToken } from '../../src/tokens/access-tokens.ts';

/**
 * Signs a user in without /auth/login (built elsewhere): a real session row and a real access token for the
 * user's current globalRole and tokenVersion.
 */
export async function signIn(deps: Deps, userId: string): Promise<{ accessToken: string; sessionId: string; refreshToken: string }> {
  const { session, refreshToken } = deps.sqlite.transaction(() => startSession(deps, userId))();
  const user = findUserById(deps, userId);
  if (!user) throw new Error(`no user ${userId}`);
  const { accessToken } = await issueAccessToken(deps, user, session);
  return { accessToken, sessionId: session.id, refreshToken };
}

export function bearer(accessToken: string): { authorization: string } {
  return { authorization: `Bearer ${accessToken}` };
}
