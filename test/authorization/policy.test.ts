import { describe, expect, it } from 'vitest';
import type { Deps } from '../../src/app/deps.ts';
import { decide, needsOwnAccess, type Action, type Targets } from '../../src/authorization/policy.ts';
import { anonymous, cliOperator, internalApiKeyHolder, systemJob, userPrincipal, type Principal } from '../../src/authorization/principal.ts';

/** A Deps that fails on any read: a decision taken with it provably ran no query. */
const NO_DATABASE = new Proxy({} as Deps, {
  get(_target, key) {
    throw new Error(`the policy touched deps.${String(key)}`);
  },
});

const jane = userPrincipal('jane', 'NONE', 'http');
const moderator = userPrincipal('mod', 'PLATFORM_MODERATOR', 'http');
const platformAdmin = userPrincipal('pa', 'PLATFORM_ADMIN', 'http');

const outcome = <A extends Action>(principal: Principal, action: A, target: Targets[A]) => {
  const d = decide(NO_DATABASE, principal, action, target);
  return d.allowed ? 'allowed' : d.error.code;
};

describe('the policy (src/authorization)', () => {
  // The hot paths (GET /auth/me, /auth/me/access) ask `user.context.read` for the caller: a function call, no query.
  it.each([
    ['the user themself', jane, 'jane', 'allowed'],
    ['another user', jane, 'john', 'not_found'],
    ['the internal API key', internalApiKeyHolder('http'), 'john', 'allowed'],
    ['anonymous', anonymous('http'), 'john', 'not_found'],
    ['platform staff', moderator, 'john', 'allowed'],
    ['the operator', cliOperator(), 'john', 'allowed'],
  ] as const)('user.context.read by %s: %s, without a query', (_who, principal, userId, expected) => {
    expect(outcome(principal, 'user.context.read', { userId })).toBe(expected);
  });

  it.each([
    ['operator', cliOperator(), 'allowed'],
    ['system job', systemJob('maintenance.purge'), 'allowed'],
    ['PLATFORM_ADMIN', platformAdmin, 'allowed'],
    ['PLATFORM_MODERATOR', moderator, 'forbidden'],
    ['anonymous', anonymous('http'), 'forbidden'],
    ['internal API key', internalApiKeyHolder('http'), 'forbidden'],
  ] as const)('platform-only rules need no query either: user.create by %s is %s', (_who, principal, expected) => {
    expect(outcome(principal, 'user.create', {})).toBe(expected);
    expect(outcome(principal, 'entitlements.set', { companyId: 'c' })).toBe(expected);
  });

  it('scopes narrow a principal before any rule runs (API keys, OAuth clients and agents to come)', () => {
    const scoped: Principal = { ...platformAdmin, scopes: ['user.list'] };
    expect(outcome(scoped, 'user.list', {})).toBe('allowed');
    const refused = decide(NO_DATABASE, scoped, 'user.create', {});
    expect(refused).toMatchObject({ allowed: false, error: { code: 'forbidden', message: 'This credential is not allowed to user.create' } });
  });

  it('only principals bounded by their own access make services load it (a MANAGER hands out what it holds)', () => {
    expect([jane, moderator, platformAdmin, cliOperator(), anonymous('http')].map(needsOwnAccess)).toEqual([true, true, false, false, false]);
  });

  it('a principal is its own audit actor: type, id and the channel it came through', () => {
    expect(userPrincipal('jane', 'NONE', 'cli')).toMatchObject({ type: 'user', id: 'jane', channel: 'cli' });
    expect(systemJob('mail.purge')).toEqual({ type: 'system', id: 'mail.purge', channel: 'job' });
    expect(cliOperator()).toMatchObject({ type: 'operator', channel: 'cli' });
  });
});
