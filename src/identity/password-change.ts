import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { revokeAllSessions } from '../sessions/sessions.ts';
import { markEmailVerified } from './email-verification.ts';
import { updatePasswordHash } from './store.ts';

/**
 * The one way a user's password is replaced through a one-time link (reset, set-password): store the new hash,
 * end every session and bump tokenVersion (a thief holding old tokens is out too), audit it. Call inside the
 * transaction that spends the link; hash the password before it.
 */
export function replacePassword(deps: Deps, userId: string, passwordHash: string, actor: Actor, via: 'password_reset' | 'set_password_link'): void {
  if (!deps.sqlite.inTransaction) throw new Error('replacePassword must run inside the transaction that spends its link');
  updatePasswordHash(deps, userId, passwordHash, deps.clock.now());
  revokeAllSessions(deps, userId, via, actor, { bumpTokenVersion: true });
  deps.audit.append(deps.platformTenantId(), {
    actor,
    type: 'user.password_changed',
    target: { type: 'user', id: userId },
    payload: { userId, via },
  });
  // The link came by mail to the account's address: using it proves that address.
  markEmailVerified(deps, userId, via, actor);
}
