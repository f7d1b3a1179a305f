import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { decide, type Action, type Targets } from '../../src/authorization/policy.ts';
import { apiKeyPrincipal, cliOperator, userPrincipal } from '../../src/authorization/principal.ts';
import { ALL_SCOPES, isScope, scopeRequiredFor, scopesAllow, scopesCover } from '../../src/authorization/scopes.ts';

/** A Deps that fails on any read: an API key's decision is its scopes and its tenant, no query. */
const NO_DATABASE = new Proxy({} as Deps, {
  get(_target, key) {
    throw new Error(`the policy touched deps.${String(key)}`);
  },
});

const ACME = 'tenant-acme';
const BETA = 'tenant-beta';
const key = (...scopes: string[]) => apiKeyPrincipal({ id: 'key-1', tenantId: ACME, scopes }, 'http');
const outcome = <A extends Action>(scopes: string[], action: A, target: Targets[A]) => {
  const d = decide(NO_DATABASE, key(...scopes), action, target);
  return d.allowed ? 'allowed' : d.error.code;
};

const owner = { type: 'user' as const, id: 'someone' };
/** Every action an API key can reach on this branch, with the scope it needs. */
const ACTIONS: Array<[Action, Targets[Action], string | null]> = [
  ['paymentProfile.read', { companyId: ACME, owner }, 'payments:read'],
  ['paymentProfile.listAll', { companyId: ACME }, 'payments:read'],
  ['paymentProfile.manage', { companyId: ACME, owner }, 'payments:write'],
  ['payment.read', { companyId: ACME }, 'payments:read'],
  ['payment.report', { companyId: ACME }, 'payments:write'],
  ['ossReport.read', { companyId: ACME }, 'reports:read'],
  ['webhooks:read', { companyId: ACME }, 'webhooks:read'],
  ['webhooks:write', { companyId: ACME }, 'webhooks:write'],
  ['apiKey.read', { companyId: ACME }, null],
  ['apiKey.manage', { companyId: ACME }, null],
  ['entitlements.read', { companyId: ACME }, null],
  ['company.users.list', { companyId: ACME }, null],
  ['user.list', {}, null],
];

describe('the API-key principal in the policy', () => {
  it.each(ACTIONS)('%s needs %s', (action, target, needed) => {
    expect(scopeRequiredFor(action)).toBe(needed);
    for (const scope of ALL_SCOPES) {
      const covers = needed !== null && (scope === needed || scope === needed.replace(/:read$/, ':write'));
      expect([scope, outcome([scope], action, target as never)]).toEqual([scope, covers ? 'allowed' : 'forbidden']);
    }
  });

  it('is 404 for a target in another tenant, even with the scope: keys cannot enumerate tenants', () => {
    expect(outcome(['payments:write'], 'payment.report', { companyId: BETA })).toBe('not_found');
    expect(outcome(['payments:read'], 'payment.read', { companyId: BETA })).toBe('not_found');
    expect(outcome(['webhooks:write'], 'webhooks:read', { companyId: BETA })).toBe('not_found');
    // Without the scope it is refused before the tenant is looked at.
    expect(outcome(['users:read'], 'payment.read', { companyId: BETA })).toBe('forbidden');
  });

  it('write implies read, never the reverse; scopes are checked words', () => {
    expect(scopesCover(['roles:write'], 'roles:read')).toBe(true);
    expect(scopesCover(['roles:read'], 'roles:write')).toBe(false);
    expect(scopesAllow(['users:write'], 'users:read')).toBe(true);
    expect(scopesAllow(['users:write'], 'roles:read')).toBe(false);
    expect(ALL_SCOPES).toHaveLength(22);
    expect(ALL_SCOPES.every(isScope)).toBe(true);
    expect(['users:admin', 'payments', 'users:read ', '*'].some(isScope)).toBe(false);
  });

  it('people keep their own rules for the new actions: tenant admins and platform staff', () => {
    const apiKeyRule = (p: Parameters<typeof decide>[1]) => {
      const d = decide(NO_DATABASE, p, 'apiKey.manage', { companyId: ACME });
      return d.allowed ? 'allowed' : d.error.code;
    };
    expect(apiKeyRule(cliOperator())).toBe('allowed');
    expect(apiKeyRule(userPrincipal('pa', 'PLATFORM_ADMIN', 'http'))).toBe('allowed');
  });
});
