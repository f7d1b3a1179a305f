import type { Deps } from '../app/deps.ts';
import { accountStatusError } from '../identity/account-status.ts';
import type { SignInUser } from '../identity/login-users.ts';
import { activeCompanyRole } from '../memberships/active-memberships.ts';

/** Whether a user may hold this tenant's tokens now: a usable account with an active membership in an active tenant. */
export function userMayUseTenant(deps: Deps, user: SignInUser, tenantId: string): boolean {
  return accountStatusError(user) === null && activeCompanyRole(deps, user.id, tenantId) !== null;
}
