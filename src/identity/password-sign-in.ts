import type { Deps } from '../app/deps.ts';
import type { Principal } from '../authorization/principal.ts';
import { accountStatusError } from './account-status.ts';
import { auditSignInFailure, INVALID_CREDENTIALS, verifyPasswordCredentials, type ClientInfo, type PasswordSignInContext } from './login.ts';
import { findSignInUserByEmail, type SignInUser } from './login-users.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { AppError } from '../app/errors.ts';
import { normalizeEmail } from './users.ts';

export { INVALID_CREDENTIALS };

/**
 * The first factor of a tenant's hosted sign-in: /auth/login's check (throttle per account and IP, argon2id or a
 * dummy hash, failures audited by email hash) audited in the tenant's chain, then the account status — told only
 * after the password was right. Returns the user; the caller starts the session (or asks for the second factor).
 */
export async function checkPasswordSignIn(
  deps: Deps,
  caller: Principal,
  input: { email: string; password: string },
  client: ClientInfo,
  throttle: LoginThrottle,
  context: Required<Pick<PasswordSignInContext, 'auditTenantId'>> & PasswordSignInContext,
): Promise<SignInUser> {
  const user = await verifyPasswordCredentials(deps, caller, input, client, throttle, context);
  const email = normalizeEmail(input.email);
  const current = findSignInUserByEmail(deps, email);
  if (!current || current.id !== user.id || current.passwordHash !== user.passwordHash) throw new AppError('unauthorized', INVALID_CREDENTIALS);
  const blocked = accountStatusError(current);
  if (blocked) {
    auditSignInFailure(deps, caller, email, current, blocked.code, client, context);
    throw blocked;
  }
  return current;
}
