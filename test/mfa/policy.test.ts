import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { decide, type Action, type Targets } from '../../src/authorization/policy.ts';
import { anonymous, cliOperator, internalApiKeyHolder, userPrincipal, type Principal } from '../../src/authorization/principal.ts';

/** A Deps that fails on any read: these rules look only at the principal and the target. */
const NO_DATABASE = new Proxy({} as Deps, {
  get(_target, key) {
    throw new Error(`the policy touched deps.${String(key)}`);
  },
});

const jane = userPrincipal('jane', 'NONE', 'http');
const moderator = userPrincipal('mod', 'PLATFORM_MODERATOR', 'http');
const admin = userPrincipal('pa', 'PLATFORM_ADMIN', 'http');
const superadmin = userPrincipal('sa', 'PLATFORM_SUPERADMIN', 'http');
const janeTarget = { id: 'jane', globalRole: 'NONE' } as const;
const johnTarget = { id: 'john', globalRole: 'NONE' } as const;
const superTarget = { id: 'sa2', globalRole: 'PLATFORM_SUPERADMIN' } as const;

const outcome = <A extends Action>(principal: Principal, action: A, target: Targets[A]) => {
  const d = decide(NO_DATABASE, principal, action, target);
  return d.allowed ? 'allowed' : d.error.code;
};

describe('policy: MFA actions', () => {
  it.each([
    ['jane on herself', jane, 'jane', 'allowed'],
    ['jane on john', jane, 'john', 'forbidden'],
    ['a platform admin on jane', admin, 'jane', 'forbidden'],
    ['the operator on jane', cliOperator(), 'jane', 'forbidden'],
    ['anonymous', anonymous('http'), 'jane', 'forbidden'],
  ] as const)('mfa.self by %s: %s', (_who, principal, userId, expected) => {
    expect(outcome(principal, 'mfa.self', { userId })).toBe(expected);
  });

  it.each([
    ['jane on herself', jane, janeTarget, 'allowed'],
    ['jane on john (as for an unknown user)', jane, johnTarget, 'not_found'],
    ['a moderator', moderator, johnTarget, 'allowed'],
    ['the operator', cliOperator(), johnTarget, 'allowed'],
    ['the internal API key', internalApiKeyHolder('http'), johnTarget, 'not_found'],
  ] as const)('mfa.read by %s: %s', (_who, principal, user, expected) => {
    expect(outcome(principal, 'mfa.read', { user })).toBe(expected);
  });

  it.each([
    ['the operator', cliOperator(), johnTarget, 'allowed'],
    ['a platform admin', admin, johnTarget, 'allowed'],
    ['a platform admin on a superadmin', admin, superTarget, 'forbidden'],
    ['a superadmin on a superadmin', superadmin, superTarget, 'allowed'],
    ['a moderator', moderator, johnTarget, 'forbidden'],
    ['jane on herself (she disables with a code instead)', jane, janeTarget, 'forbidden'],
  ] as const)('mfa.reset by %s: %s', (_who, principal, user, expected) => {
    expect(outcome(principal, 'mfa.reset', { user })).toBe(expected);
  });

  it.each([
    ['the operator', cliOperator(), 'allowed'],
    ['a platform admin', admin, 'allowed'],
    ['a moderator', moderator, 'forbidden'],
    ['a member', jane, 'forbidden'],
  ] as const)('tenant.mfaPolicy.set by %s: %s', (_who, principal, expected) => {
    expect(outcome(principal, 'tenant.mfaPolicy.set', { companyId: 'acme' })).toBe(expected);
  });
});
