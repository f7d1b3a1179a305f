import type { Deps } from '../../src/app/deps.ts';
import { createUser } from '../../src/identity/users.ts';
import type { GlobalRole, UserRow } from '../../src/identity/tables.ts';
import { startSession } from '../../src/sessions/sessions.ts';
import { issueAccessToken } from '../../src/tokens/access-tokens.ts';
import { TEST_ACTOR } from './deps.ts';

/** An approved, active user without a password (no argon2 cost); sign them in with `bearerFor`. */
export function createActiveUser(deps: Deps, email: string, globalRole: GlobalRole = 'NONE'): Promise<UserRow> {
  return createUser(deps, { email, fullName: email.split('@')[0], approvalStatus: 'APPROVED', isActive: true, globalRole }, TEST_ACTOR);
}

/** A live session and its access token, as /auth/login would issue them. */
export async function bearerFor(deps: Deps, user: UserRow): Promise<{ authorization: string; sessionId: string }> {
  const { session } = deps.sqlite.transaction(() => startSession(deps, user.id))();
  const { accessToken } = await issueAccessToken(deps, user, session);
  return { authorization: `Bearer ${accessToken}`, sessionId: session.id };
}
