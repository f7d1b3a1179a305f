import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { decide, type Action } from '../../src/authorization/policy.ts';
import { cliOperator, userPrincipal, type Principal } from '../../src/authorization/principal.ts';
import { listRoles } from '../../src/permissions/roles.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR } from '../support/deps.ts';

/** A Deps that fails on any read: these decisions provably run no query. */
const NO_DATABASE = new Proxy({} as Deps, {
  get(_target, key) {
    throw new Error(`the policy touched deps.${String(key)}`);
  },
});

/** An API key of tenant `acme` as the integrations work builds it: a machine principal with scopes, bound to one tenant. */
const apiKey = (scopes: string[]): Principal => ({ type: 'machine', id: 'key-1', channel: 'http', scopes, tenantId: 'acme-id' });
const moderator = userPrincipal('mod', 'PLATFORM_MODERATOR', 'http');
const platformAdmin = userPrincipal('pa', 'PLATFORM_ADMIN', 'http');

const outcome = (principal: Principal, action: Action, companyId = 'acme-id') => {
  const d = decide(NO_DATABASE, principal, action, { companyId } as never);
  return d.allowed ? 'allowed' : d.error.code;
};

const ACTIONS = ['users', 'roles', 'groups', 'grants'].flatMap((r) => [`${r}:read`, `${r}:write`]) as Action[];

describe('tenant-API actions are named by the API-key scope they need', () => {
  it.each(ACTIONS)('%s: a key with exactly that scope may, in its own tenant only (404 elsewhere); keys of other resources may not', (action) => {
    expect(outcome(apiKey([action]), action)).toBe('allowed');
    expect(outcome(apiKey([action]), action, 'beta-id')).toBe('not_found');
    // Scopes of the other resources (whether `write` covers `read` of the same resource is the API keys' rule).
    const other = ACTIONS.filter((a) => a.split(':')[0] !== action.split(':')[0]);
    expect(outcome(apiKey(other), action)).toBe('forbidden');
  });

  it.each([
    ['the operator', cliOperator(), 'allowed', 'allowed'],
    ['PLATFORM_ADMIN', platformAdmin, 'allowed', 'allowed'],
    ['PLATFORM_MODERATOR', moderator, 'allowed', 'forbidden'],
  ] as const)('%s: read %s, write %s (without a query)', (_who, principal, read, write) => {
    for (const r of ['users', 'roles', 'groups', 'grants']) {
      expect(outcome(principal, `${r}:read` as Action)).toBe(read);
      expect(outcome(principal, `${r}:write` as Action)).toBe(write);
    }
  });

  it('a key of another tenant reads like an unknown tenant through the services', async () => {
    const t = await createTestInstance();
    try {
      const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
      await createTenant(t.deps, { slug: 'beta', name: 'Beta' }, TEST_ACTOR);
      const key: Principal = { type: 'machine', id: 'key-1', channel: 'http', scopes: ['roles:read'], tenantId: acme.id };
      expect(listRoles(t.deps, key, 'acme')).toEqual([]);
      expect(() => listRoles(t.deps, key, 'beta')).toThrow('Tenant "beta" not found');
      expect(() => listRoles(t.deps, key, 'nowhere')).toThrow('Tenant "nowhere" not found');
    } finally {
      t.close();
    }
  });
});
