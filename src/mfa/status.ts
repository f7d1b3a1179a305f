import type { Deps } from '../app/deps.ts';
import { notFound } from '../app/errors.ts';
import { authorize } from '../authorization/policy.ts';
import type { Principal } from '../authorization/principal.ts';
import { findUserById } from '../identity/users.ts';
import { countRecoveryCodes, findTotp } from './store.ts';
import { tenantsRequiringMfaOf } from './tenant-requirement.ts';

/** What a user's MFA looks like — never the secret or a code. */
export interface MfaStatus {
  userId: string;
  email: string;
  totp: 'none' | 'pending' | 'active';
  /** When TOTP was confirmed (ISO 8601), or null. */
  enabledAt: string | null;
  recoveryCodes: { unused: number; total: number };
  /** Slugs of the tenants that require MFA of this user. */
  requiredBy: string[];
}

/** GET /auth/mfa (the caller) and `kimauth users mfa show` (operators, platform staff). */
export function mfaStatus(deps: Deps, caller: Principal, userId: string): MfaStatus {
  const user = findUserById(deps, userId);
  if (!user) throw notFound(`User "${userId}"`);
  authorize(deps, caller, 'mfa.read', { user });
  const totp = findTotp(deps, user.id);
  return {
    userId: user.id,
    email: user.email,
    totp: totp?.status ?? 'none',
    enabledAt: totp?.confirmed_at ? new Date(totp.confirmed_at).toISOString() : null,
    recoveryCodes: countRecoveryCodes(deps, user.id),
    requiredBy: tenantsRequiringMfaOf(deps, user),
  };
}
