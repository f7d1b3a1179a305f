import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, cliOperator } from '../../src/authorization/principal.ts';
import { confirmPasswordReset, requestPasswordReset } from '../../src/identity/password-reset.ts';
import { patchUser } from '../../src/identity/user-admin.ts';
import { acceptInvitation, createInvitation } from '../../src/invitations/invitations.ts';
import { shippedMigrations } from '../../src/db/migrate.ts';
import { createUser } from '../../src/identity/users.ts';
import { createTenant } from '../../src/tenants/tenants.ts';
import { createTestInstance, TEST_ACTOR } from '../support/deps.ts';
import { CookieJar, oidcWorld, PASSWORD, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';
const NEW_PASSWORD = 'another-password-2';

/** Issue 11: `email_verified` says what kimauth knows — a link it mailed to the address was used — never a constant. */
describe('email_verified in ID tokens, access tokens and userinfo', () => {
  let w: OidcWorld;
  let issuer: string;
  let config: oidc.Configuration;

  beforeAll(async () => {
    w = await oidcWorld({ exposePasswordResetToken: true });
    issuer = `${w.base}/t/acme`;
    registerClient(w, 'acme', { name: 'Web', type: 'public', clientId: 'web', redirectUris: [redirectUri], scopes: ['openid', 'email'] });
    config = await oidc.discovery(new URL(issuer), 'web', undefined, oidc.None(), insecure);
  });
  afterAll(() => w.close());

  async function claimsOf(email: string, password: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const back = await signInThroughHostedPage(url.href, new CookieJar(), email, password);
    expect(back.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier });
    const jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
    const id = (await jwtVerify(tokens.id_token!, jwks, { issuer, audience: 'web' })).payload;
    const at = (await jwtVerify(tokens.access_token, jwks, { issuer, audience: 'web' })).payload;
    const info = await oidc.fetchUserInfo(config, tokens.access_token, String(id.sub));
    return { id: id.email_verified, access: at.email_verified, userinfo: info.email_verified, email: id.email };
  }

  const resetPassword = async (email: string) => {
    const { token } = requestPasswordReset(w.t.deps, anonymous('http'), { email }, { ip: '127.0.0.1' }) as { token?: string };
    expect(token).toBeTypeOf('string');
    await confirmPasswordReset(w.t.deps, anonymous('http'), { token: token!, newPassword: NEW_PASSWORD });
  };

  it('an account created with a password (nothing mailed was used) is not verified', async () => {
    expect(await claimsOf(w.member.email, PASSWORD)).toEqual({ id: false, access: false, userinfo: false, email: w.member.email });
  });

  it('a password reset through the mailed link verifies it; a changed email is unverified again until proven', async () => {
    await resetPassword(w.member.email);
    expect(await claimsOf(w.member.email, NEW_PASSWORD)).toMatchObject({ id: true, access: true, userinfo: true });
    const verified = w.t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'user.email_verified'").all() as Array<{ payload: string }>;
    expect(verified.map((r) => JSON.parse(r.payload))).toEqual([{ userId: w.member.id, via: 'password_reset' }]);

    await patchUser(w.t.deps, cliOperator(), w.member.id, { email: 'jane.new@acme.test' });
    expect(await claimsOf('jane.new@acme.test', NEW_PASSWORD)).toEqual({ id: false, access: false, userinfo: false, email: 'jane.new@acme.test' });
    await resetPassword('jane.new@acme.test');
    expect(await claimsOf('jane.new@acme.test', NEW_PASSWORD)).toMatchObject({ id: true, access: true, userinfo: true });
  });

  it('accepting an invitation mailed to the address verifies the new account', async () => {
    const issued = await createInvitation(w.t.deps, TEST_ACTOR, w.acme.id, { email: 'invited@acme.test', role: 'SUBMITTER' });
    const token = new URL(issued.acceptUrl!).searchParams.get('token')!;
    await acceptInvitation(w.t.deps, anonymous('http'), { token, name: 'Invited', password: NEW_PASSWORD });
    expect(await claimsOf('invited@acme.test', NEW_PASSWORD)).toMatchObject({ id: true, access: true, userinfo: true });
  });
});

describe('migration 0100 backfills email_verified_at from the audit chain', () => {
  it('proofs before the column existed count, unless the email changed after them', async () => {
    const t = await createTestInstance({ config: { exposePasswordResetToken: true } });
    try {
      const user = (email: string) => createUser(t.deps, { email, fullName: 'U', password: PASSWORD, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
      const reset = async (email: string) => {
        const { token } = requestPasswordReset(t.deps, anonymous('http'), { email }, { ip: '127.0.0.1' }) as { token?: string };
        await confirmPasswordReset(t.deps, anonymous('http'), { token: token!, newPassword: NEW_PASSWORD });
      };
      const proven = await user('proven@x.test');
      await reset('proven@x.test');
      const moved = await user('moved@x.test');
      await reset('moved@x.test');
      await patchUser(t.deps, cliOperator(), moved.id, { email: 'moved.later@x.test' });
      const never = await user('never@x.test');
      const acme = await createTenant(t.deps, { slug: 'acme', name: 'Acme' }, TEST_ACTOR);
      const issued = await createInvitation(t.deps, TEST_ACTOR, acme.id, { email: 'invited@x.test', role: 'SUBMITTER' });
      const invited = await acceptInvitation(t.deps, anonymous('http'), { token: new URL(issued.acceptUrl!).searchParams.get('token')!, name: 'I', password: NEW_PASSWORD });

      // As if these proofs had happened before migration 0100: forget the column, then run its backfill.
      t.deps.sqlite.prepare('UPDATE users SET email_verified_at = NULL').run();
      const [, ...backfill] = shippedMigrations().find((m) => m.tag === '0100_email_verified')!.statements;
      for (const statement of backfill) t.deps.sqlite.exec(statement);

      const verified = (id: string) => (t.deps.sqlite.prepare('SELECT email_verified_at FROM users WHERE id = ?').get(id) as { email_verified_at: number | null }).email_verified_at;
      expect(verified(proven.id)).toBeTypeOf('number');
      expect(verified(invited.userId)).toBeTypeOf('number');
      expect(verified(moved.id)).toBeNull();
      expect(verified(never.id)).toBeNull();
      expect(verified(t.admin.id)).toBeNull();
    } finally {
      t.close();
    }
  });
});
