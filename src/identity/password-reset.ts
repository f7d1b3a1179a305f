import type { Deps } from '../app/deps.ts';
import { validationError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { enqueueMail } from '../mail/outbox.ts';
import { frontendLink } from '../mail/links.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { assertPasswordAccountType, type ClientInfo } from './login.ts';
import { replacePassword } from './password-change.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { deleteSpentResetTokens, insertResetToken, markResetTokenUsed, selectLiveUserByEmail, selectResetToken, selectUserById, spendOpenResetTokensOf } from './store.ts';
import { normalizeEmail } from './users.ts';

export const RESET_TOKEN_TTL_MS = 60 * 60_000;

export interface ResetRequestResult {
  status: 'ok';
  /** Only with KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN=true and only when a token was issued (development). */
  token?: string;
}

export function resetLink(deps: Deps, token: string): string {
  return frontendLink(deps.config, 'reset-password', token);
}

/**
 * POST /auth/password-reset/request (seed 002 §4.8). Always answers ok, whether or not the address belongs to an
 * account, so the route cannot be used to find accounts. For an existing account a one-time token (1 h) replaces
 * any earlier unused one and is mailed as a link to the frontend.
 */
export function requestPasswordReset(deps: Deps, caller: Principal, input: { email: string; accountType?: string }, client: ClientInfo): ResetRequestResult {
  assertPasswordAccountType(input.accountType);
  const email = normalizeEmail(input.email);
  const issued = deps.sqlite.transaction(() => {
    const user = selectLiveUserByEmail(deps, email);
    if (!user) return undefined;
    const now = deps.clock.now();
    spendOpenResetTokensOf(deps, user.id, now);
    const token = newOpaqueToken();
    const expiresAt = new Date(now.getTime() + RESET_TOKEN_TTL_MS);
    insertResetToken(deps, { tokenHash: hashOpaqueToken(token), userId: user.id, createdAt: now, expiresAt });
    deps.audit.append(deps.platformTenantId(), {
      actor: caller,
      type: 'password_reset.requested',
      target: { type: 'user', id: user.id },
      payload: { userId: user.id, expiresAt: expiresAt.toISOString(), ip: client.ip },
    });
    enqueueMail(deps, {
      template: 'password-reset',
      to: user.email,
      data: { fullName: user.fullName, resetUrl: resetLink(deps, token), expiresAt: expiresAt.toISOString() },
    });
    return token;
  })();
  return deps.config.exposePasswordResetToken && issued ? { status: 'ok', token: issued } : { status: 'ok' };
}

/**
 * The HTTP form of the request: the answer is the same, in the same time, for every address — the account lookup,
 * token, audit entry and mail happen after the response (deps.background). Input errors (a malformed email, a
 * vendor account type) are still answered at once: they do not depend on any account. With
 * KIMAUTH_EXPOSE_PASSWORD_RESET_TOKEN (development only) the work is done first, to return the token.
 */
export function requestPasswordResetAfterResponse(
  deps: Deps,
  caller: Principal,
  input: { email: string; accountType?: string },
  client: ClientInfo,
): ResetRequestResult {
  if (deps.config.exposePasswordResetToken) return requestPasswordReset(deps, caller, input, client);
  assertPasswordAccountType(input.accountType);
  normalizeEmail(input.email);
  deps.background.run('password-reset.request', () => requestPasswordReset(deps, caller, input, client));
  return { status: 'ok' };
}

const INVALID_TOKEN = 'Invalid or expired password reset token';

function findUsableToken(deps: Deps, tokenHash: string) {
  const row = selectResetToken(deps, tokenHash);
  if (!row || row.usedAt || row.expiresAt.getTime() <= deps.clock.nowMs()) return undefined;
  return row;
}

/**
 * POST /auth/password-reset/confirm. A bad, expired or spent token is 400 validation_error: it is a field of the
 * body, and a 401 would make clients' "refresh and retry" interceptors fire on a page that has no session.
 * On success every session ends and tokenVersion is bumped, so a thief holding old tokens is out too.
 */
export async function confirmPasswordReset(deps: Deps, caller: Principal, input: { token: string; newPassword: string }): Promise<{ status: 'ok' }> {
  assertPasswordPolicy(input.newPassword);
  const tokenHash = hashOpaqueToken(input.token);
  // Cheap check first, so a made-up token does not cost an argon2 hash.
  if (!findUsableToken(deps, tokenHash)) throw validationError(INVALID_TOKEN);
  const passwordHash = await hashPassword(input.newPassword);
  const changed = deps.sqlite.transaction(() => {
    const token = findUsableToken(deps, tokenHash); // again: it may have been spent while we hashed
    if (!token) return false;
    const user = selectUserById(deps, token.userId);
    if (!user || user.deletedAt) return false;
    markResetTokenUsed(deps, tokenHash, deps.clock.now());
    // The holder of the token acts as the user it was issued to.
    replacePassword(deps, user.id, passwordHash, provenUser(caller, user.id), 'password_reset');
    enqueueMail(deps, { template: 'password-changed', to: user.email, data: { fullName: user.fullName } });
    return true;
  })();
  if (!changed) throw validationError(INVALID_TOKEN);
  return { status: 'ok' };
}

/**
 * Deletes reset tokens used or expired before `spentBefore` (a spent token is only needed to answer "invalid
 * or expired", which an unknown token answers the same way). Call inside the transaction that audits the purge.
 */
export function purgeSpentResetTokens(deps: Deps, spentBefore: Date): number {
  if (!deps.sqlite.inTransaction) throw new Error('purgeSpentResetTokens must run inside the transaction of its audit entry');
  return deleteSpentResetTokens(deps, spentBefore);
}
