import type { Deps } from '../app/deps.ts';
import { openSealedText, sealToText } from '../keys/master-key.ts';
import {
  activateTotp,
  advanceTotpStep,
  countRecoveryCodes,
  findTotp,
  listTotpSecrets,
  replaceRecoveryCodes,
  spendRecoveryCode,
  type TotpStatus,
  updateTotpSecret,
} from './store.ts';
import { hashRecoveryCode, matchingTotpStep, newRecoveryCodes } from './totp.ts';

/**
 * The checks of a second factor, each inside the caller's transaction: a TOTP code (its step recorded, so it is
 * accepted once) or a recovery code (spent). No argon2 anywhere: a code is an HMAC, a recovery code a SHA-256.
 */
export type SecondFactorMethod = 'totp' | 'recovery_code';

/** The secret is sealed with the master key; the user id is bound as associated data (a copied row opens nothing). */
const sealContext = (userId: string) => `mfa-totp:${userId}`;

export function sealTotpSecret(deps: Deps, userId: string, secret: string): string {
  return sealToText(deps.masterKeys, secret, sealContext(userId));
}

export function openTotpSecret(deps: Deps, userId: string, sealed: string): string {
  return openSealedText(deps.masterKeys, sealed, sealContext(userId));
}

/**
 * Accepts `code` for the user's authenticator in `status` (`active` to sign in or change settings, `pending` to
 * confirm an enrolment, which activates it). Returns the accepted step, or null.
 */
export function acceptTotpCode(deps: Deps, userId: string, code: string, status: TotpStatus): number | null {
  if (!deps.sqlite.inTransaction) throw new Error('acceptTotpCode must run inside the transaction of its change');
  const row = findTotp(deps, userId);
  if (!row || row.status !== status) return null;
  const step = matchingTotpStep(openTotpSecret(deps, userId, row.secret_sealed), code, deps.clock.nowSeconds(), row.last_step);
  if (step === null) return null;
  const recorded = status === 'active' ? advanceTotpStep(deps, userId, step) : activateTotp(deps, userId, step, deps.clock.nowMs());
  return recorded ? step : null;
}

/** Spends one of the user's recovery codes; returns how many are left, or null when the code is not an unused one of theirs. */
export function acceptRecoveryCode(deps: Deps, userId: string, code: string): number | null {
  if (!deps.sqlite.inTransaction) throw new Error('acceptRecoveryCode must run inside the transaction of its change');
  if (!spendRecoveryCode(deps, userId, hashRecoveryCode(code), deps.clock.nowMs())) return null;
  return countRecoveryCodes(deps, userId).unused;
}

/** Replaces the user's recovery codes with ten new ones and returns them (the only time they are readable). */
export function issueRecoveryCodes(deps: Deps, userId: string): string[] {
  if (!deps.sqlite.inTransaction) throw new Error('issueRecoveryCodes must run inside the transaction of its change');
  const codes = newRecoveryCodes();
  replaceRecoveryCodes(deps, userId, codes.map(hashRecoveryCode), deps.clock.nowMs());
  return codes;
}

/** Either check, by what the caller sent. */
export function acceptSecondFactor(
  deps: Deps,
  userId: string,
  proof: { code?: string; recoveryCode?: string },
): { method: SecondFactorMethod; recoveryCodesLeft?: number } | null {
  if (proof.code !== undefined) return acceptTotpCode(deps, userId, proof.code, 'active') === null ? null : { method: 'totp' };
  if (proof.recoveryCode !== undefined) {
    const left = acceptRecoveryCode(deps, userId, proof.recoveryCode);
    return left === null ? null : { method: 'recovery_code', recoveryCodesLeft: left };
  }
  return null;
}

/**
 * Re-seals every TOTP secret under the current master key (after `keys rotate-master`), so a retired key can one
 * day leave the key file. Call inside the rotation's transaction; returns how many were re-sealed.
 */
export function resealTotpSecrets(deps: Deps): number {
  if (!deps.sqlite.inTransaction) throw new Error('resealTotpSecrets must run inside the transaction of its audit entry');
  const rows = listTotpSecrets(deps);
  for (const row of rows) updateTotpSecret(deps, row.user_id, sealTotpSecret(deps, row.user_id, openTotpSecret(deps, row.user_id, row.secret_sealed)));
  return rows.length;
}
