import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { anonymous } from '../../src/authorization/principal.ts';
import { createUser } from '../../src/identity/users.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { resolveUpstreamUser, type UpstreamClaims } from '../../src/upstream-idps/accounts.ts';
import { addUpstreamIdp, type UpstreamIdpInput } from '../../src/upstream-idps/providers.ts';
import { idpByName } from '../../src/upstream-idps/store.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';

/** Who an upstream provider's user is here (accounts.ts): the rules, one by one, on a real database. */
describe('upstream accounts: link, verified email, new user', () => {
  let t: TestInstance;
  let tenantId: string;
  const caller = anonymous('http');
  beforeEach(async () => {
    t = await createTestInstance();
    tenantId = (await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR)).id;
    await createUser(t.deps, { email: 'jane@acme.test', fullName: 'Jane', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  });
  afterEach(() => t.close());

  const provider = (name: string, input: Partial<UpstreamIdpInput> = {}) => {
    addUpstreamIdp(t.deps, 'acme', { name, issuer: 'https://idp.example', clientId: 'c', clientSecret: 's', ...input }, TEST_ACTOR);
    return idpByName(t.deps, tenantId, name)!;
  };
  const resolve = (idp: ReturnType<typeof provider>, claims: UpstreamClaims) => resolveUpstreamUser(t.deps, caller, idp, claims, 'Acme');
  const jane = () => t.deps.sqlite.prepare("SELECT id FROM users WHERE email = 'jane@acme.test'").pluck().get() as string;
  const users = () => t.deps.sqlite.prepare('SELECT COUNT(*) FROM users').pluck().get() as number;

  it('links an existing user only when the provider may link by email and says the email is verified', async () => {
    const strict = provider('strict');
    expect(await resolve(strict, { sub: 's1', email: 'jane@acme.test', email_verified: true })).toMatchObject({ refused: true, reason: 'not_linked' });
    const trusting = provider('trusting', { linkByVerifiedEmail: true });
    for (const email_verified of [false, 'true', undefined]) {
      expect(await resolve(trusting, { sub: 's1', email: 'jane@acme.test', email_verified })).toMatchObject({ refused: true, reason: 'not_linked' });
    }
    const verifiedAt = () => t.deps.sqlite.prepare('SELECT email_verified_at FROM users WHERE id = ?').pluck().get(jane());
    expect(verifiedAt()).toBeNull();
    expect(await resolve(trusting, { sub: 's1', email: 'JANE@acme.test', email_verified: true })).toEqual({ userId: jane(), via: 'verified_email' });
    // The provider's verified email is kimauth's now (OIDC email_verified of jane's tokens).
    expect(verifiedAt()).toBe(t.deps.clock.nowMs());
    // From now on the link answers, whatever the email says.
    expect(await resolve(trusting, { sub: 's1', email: 'renamed@elsewhere.test', email_verified: false })).toEqual({ userId: jane(), via: 'link' });
    // Another subject of the same provider claiming jane's verified address is not jane.
    expect(await resolve(trusting, { sub: 's2', email: 'jane@acme.test', email_verified: true })).toMatchObject({ refused: true, reason: 'not_linked' });
  });

  it('creates a user only with a verified email, and only when the provider may create users', async () => {
    const before = users();
    const closed = provider('closed', { createUsers: false });
    expect(await resolve(closed, { sub: 'n1', email: 'new@acme.test', email_verified: true })).toMatchObject({ refused: true, reason: 'no_account' });
    const open = provider('open', { authProvider: 'microsoft' });
    expect(await resolve(open, { sub: 'n1', email: 'new@acme.test', email_verified: false })).toMatchObject({ refused: true, reason: 'email_not_verified' });
    expect(await resolve(open, { sub: 'n1' })).toMatchObject({ refused: true, reason: 'no_email' });
    expect(users()).toBe(before);
    const made = await resolve(open, { sub: 'n1', email: 'new@acme.test', email_verified: true, name: 'Line\nBreak' });
    expect(made).toMatchObject({ via: 'created' });
    const row = t.deps.sqlite.prepare('SELECT full_name, auth_provider, password_hash FROM users WHERE email = ?').get('new@acme.test');
    // A name with control characters is not taken; the address's local part is.
    expect(row).toEqual({ full_name: 'new', auth_provider: 'microsoft', password_hash: null });
  });

  it('checks allowed domains first, on a verified email, even for a user already linked', async () => {
    const idp = provider('corp', { allowedDomains: ['acme.test'], linkByVerifiedEmail: true });
    expect(await resolve(idp, { sub: 'j', email: 'jane@acme.test', email_verified: true })).toMatchObject({ via: 'verified_email' });
    expect(await resolve(idp, { sub: 'j', email: 'jane@evil.test', email_verified: true })).toMatchObject({ refused: true, reason: 'domain_not_allowed' });
    expect(await resolve(idp, { sub: 'j', email: 'jane@acme.test', email_verified: false })).toMatchObject({ refused: true, reason: 'domain_not_allowed' });
    expect(await resolve(idp, { sub: 'x', email: 'x@sub.acme.test', email_verified: true })).toMatchObject({ refused: true, reason: 'domain_not_allowed' });
    expect(await resolve(idp, { sub: 'j', email: 'jane@acme.test', email_verified: true })).toMatchObject({ via: 'link' });
  });
});
