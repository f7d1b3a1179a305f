import type { Deps } from '../app/deps.ts';
import type { Actor } from '../audit/audit-log.ts';
import { markEmailVerifiedRecord } from './store.ts';

/**
 * The ways kimauth learns that a user controls their email: a one-time link it mailed to that address, or an
 * upstream OpenID provider the tenant trusts asserting `email_verified: true` for it (the only way a link is made).
 */
export type EmailProof = 'password_reset' | 'set_password_link' | 'magic_link' | 'invitation' | 'upstream_idp';

/**
 * Records that the user proved control of their current email (OIDC `email_verified`), audited with how. Only the
 * first proof after an email change is a change; later ones are no-ops. Call inside the transaction that spends the link.
 */
export function markEmailVerified(deps: Deps, userId: string, via: EmailProof, actor: Actor): void {
  if (!deps.sqlite.inTransaction) throw new Error('markEmailVerified must run inside the transaction that spends its link');
  if (!markEmailVerifiedRecord(deps, userId, deps.clock.nowMs())) return;
  deps.audit.append(deps.platformTenantId(), { actor, type: 'user.email_verified', target: { type: 'user', id: userId }, payload: { userId, via } });
}
