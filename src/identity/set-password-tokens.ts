import type { Deps } from '../app/deps.ts';
import { AppError } from '../app/errors.ts';
import { provenUser, type Principal } from '../authorization/principal.ts';
import { frontendLink } from '../mail/links.ts';
import { hashOpaqueToken, newOpaqueToken } from '../tokens/opaque-tokens.ts';
import { replacePassword } from './password-change.ts';
import { assertPasswordPolicy, hashPassword } from './passwords.ts';
import { deleteSpentSetPasswordTokens, insertSetPasswordToken, selectSetPasswordLink, spendOpenSetPasswordTokensOf } from './store.ts';

/** How long the link in the "user created" mail works. */
export const SET_PASSWORD_TOKEN_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export interface IssuedSetPasswordToken {
  token: string;
  url: string;
  expiresAt: Date;
}

/** Issues a one-time set-password link for a user. Call inside the transaction that creates the user. */
export function issueSetPasswordToken(deps: Deps, userId: string): IssuedSetPasswordToken {
  if (!deps.sqlite.inTransaction) throw new Error('issueSetPasswordToken must run inside the transaction of its change');
  const token = newOpaqueToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + SET_PASSWORD_TOKEN_TTL_MS);
  insertSetPasswordToken(deps, { tokenHash: hashOpaqueToken(token), userId, createdAt: now, expiresAt });
  return { token, url: frontendLink(deps.config, 'set-password', token), expiresAt };
}

/**
 * Consumes a set-password link: sets the password, spends every outstanding link of that user and ends their
 * sessions. An unknown, used or expired token is 400 validation_error (no hint which).
 */
export async function setPasswordWithToken(deps: Deps, caller: Principal, token: string, newPassword: string): Promise<{ userId: string }> {
  assertPasswordPolicy(newPassword);
  const tokenHash = hashOpaqueToken(token);
  // Cheap check first, so a made-up link does not cost an argon2 hash.
  if (!findUsableLink(deps, tokenHash)) throw invalidLink();
  const passwordHash = await hashPassword(newPassword);
  return deps.sqlite.transaction(() => {
    const link = findUsableLink(deps, tokenHash); // again: it may have been spent while we hashed
    if (!link) throw invalidLink();
    spendOpenSetPasswordTokensOf(deps, link.userId, deps.clock.now());
    // The holder of the link acts as the user it was issued to.
    replacePassword(deps, link.userId, passwordHash, provenUser(caller, link.userId), 'set_password_link');
    return { userId: link.userId };
  })();
}

const invalidLink = () => new AppError('validation_error', 'This set-password link is invalid or has expired');

function findUsableLink(deps: Deps, tokenHash: string): { userId: string } | undefined {
  const row = selectSetPasswordLink(deps, tokenHash);
  if (!row || row.usedAt || row.expiresAt.getTime() <= deps.clock.nowMs() || row.deletedAt) return undefined;
  return { userId: row.userId };
}

/**
 * Deletes set-password links used or expired before `spentBefore`; an unknown link answers like a spent one.
 * Call inside the transaction that audits the purge.
 */
export function purgeSpentSetPasswordTokens(deps: Deps, spentBefore: Date): number {
  if (!deps.sqlite.inTransaction) throw new Error('purgeSpentSetPasswordTokens must run inside the transaction of its audit entry');
  return deleteSpentSetPasswordTokens(deps, spentBefore);
}
