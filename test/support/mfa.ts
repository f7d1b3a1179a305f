import type { Deps } from '../../src/app/deps.ts';
import { userPrincipal } from '../../src/authorization/principal.ts';
import type { UserRow } from '../../src/identity/tables.ts';
import { createLoginThrottle } from '../../src/identity/login-throttle.ts';
import { confirmTotp, enrollTotp } from '../../src/mfa/enrollment.ts';
import { totpCodeAt } from '../../src/mfa/totp.ts';

export const CLIENT = { ip: '127.0.0.1', userAgent: 'vitest' };

/** The code the user's authenticator shows now, by the instance's clock (optionally `offsetSeconds` away). */
export function codeNow(deps: Deps, secret: string, offsetSeconds = 0): string {
  return totpCodeAt(secret, deps.clock.nowSeconds() + offsetSeconds);
}

/**
 * Enrols and confirms TOTP for a user through the services (as the user). The confirming code is the current
 * step's; the clock is then moved one step on, so the test's first code is a fresh one.
 */
export async function enrolTotp(deps: Deps, user: Pick<UserRow, 'id' | 'globalRole'>, advance: (ms: number) => void): Promise<{ secret: string; recoveryCodes: string[] }> {
  const caller = userPrincipal(user.id, user.globalRole, 'http');
  const { secret } = await enrollTotp(deps, caller, {});
  const { recoveryCodes } = await confirmTotp(deps, caller, { code: codeNow(deps, secret) }, CLIENT, createLoginThrottle(deps.clock));
  advance(30_000);
  return { secret, recoveryCodes };
}
