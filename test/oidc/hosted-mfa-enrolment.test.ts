import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { totpCodeAt } from '../../src/mfa/totp.ts';
import { createUser } from '../../src/identity/users.ts';
import { upsertCompanyMembership } from '../../src/memberships/memberships.ts';
import { insertPasskey } from '../../src/passkeys/store.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { CookieJar, hiddenField, oidcWorld, PASSWORD, registerClient, signInThroughHostedPage, type OidcWorld, pkceAuthorizationRequest } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';

/**
 * Issue 13 §1, hosted enrolment on first sign-in: a tenant requires MFA, the member has none; the hosted sign-in
 * goes on to set up an authenticator (no JavaScript: QR as a data URL and the key in text), confirms it with a
 * code, shows the recovery codes once, and only then returns to the application with a code.
 */
describe('hosted TOTP enrolment on first sign-in', () => {
  let w: OidcWorld;
  let conf: oidc.Configuration;

  beforeAll(async () => {
    w = await oidcWorld();
    registerClient(w, 'beta', { name: 'Beta Web', type: 'public', clientId: 'web', redirectUris: [redirectUri] });
    conf = await oidc.discovery(new URL(`${w.base}/t/beta`), 'web', undefined, oidc.None(), insecure);
    setTenantMfaRequirement(w.t.deps, cliOperator(), 'beta', true);
  });
  afterAll(() => w.close());

  async function start(email: string) {
    const { url, verifier, state } = await pkceAuthorizationRequest(conf, redirectUri);
    const jar = new CookieJar();
    const res = await signInThroughHostedPage(url.href, jar, email);
    return { res, jar, verifier, state };
  }

  async function post(jar: CookieJar, path: string, page: string, fields: Record<string, string>) {
    const action = `${w.base}/t/beta${path}`;
    const body = new URLSearchParams({ request: hiddenField(page, 'request'), csrf: hiddenField(page, 'csrf'), ...fields });
    const res = await fetch(action, { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(action) } });
    jar.store(res);
    return res;
  }

  const secretOf = (page: string) => /<code id="totp-secret" class="secret">([A-Z2-7]+)<\/code>/.exec(page)?.[1];
  const now = () => w.t.deps.clock.nowSeconds();

  it('password → enrolment page; a wrong code keeps the same key; the right one shows ten recovery codes once and then returns with a code', async () => {
    const { res, jar, verifier, state } = await start(w.betaMember.email);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Set up two-step verification');
    // Mustache escapes "/" and "=" in attributes; a browser reads the entities back.
    expect(page.replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=')).toMatch(/<img class="qr" src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/);
    expect(page).not.toMatch(/<script/);
    const secret = secretOf(page)!;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(jar.has('kimauth_sso')).toBe(false);
    // Not readable in the database: the pending secret is sealed.
    const stored = JSON.stringify(w.t.deps.sqlite.prepare('SELECT * FROM mfa_totp WHERE user_id = ?').all(w.betaMember.id));
    expect(stored).not.toContain(secret);

    const right = totpCodeAt(secret, now());
    const wrong = await post(jar, '/login/mfa/enroll', page, { mfa_token: hiddenField(page, 'mfa_token'), code: right === '000000' ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toMatch(/role="alert"[^>]*>That code is not valid/);
    expect(secretOf(again)).toBe(secret);
    expect(jar.has('kimauth_sso')).toBe(false);

    const confirmed = await post(jar, '/login/mfa/enroll', again, { mfa_token: hiddenField(again, 'mfa_token'), code: right });
    expect(confirmed.status, await confirmed.clone().text()).toBe(200);
    expect(confirmed.headers.get('location')).toBeNull();
    const codesPage = await confirmed.text();
    const codes = [...codesPage.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect(jar.has('kimauth_sso')).toBe(true);

    const back = await post(jar, '/login/continue', codesPage, {});
    expect(back.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(conf, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()!.sub).toBe(w.betaMember.id);
    const signedIn = w.t.deps.sqlite
      .prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.signed_in' ORDER BY seq DESC LIMIT 1")
      .pluck()
      .get(w.beta.id) as string;
    expect(JSON.parse(signedIn)).toMatchObject({ authType: 'oidc_sso', mfa: 'totp', enrolled: true, client_id: 'web' });

    // The enrolment step is spent; the next sign-in asks for a code (and a recovery code from the page works once).
    const replay = await post(new CookieJar(), '/login/mfa/enroll', again, { mfa_token: hiddenField(again, 'mfa_token'), code: right });
    expect(replay.status).toBe(400);
    const next = await start(w.betaMember.email);
    const step = await next.res.text();
    expect(step).toContain('Two-step verification');
    const ok = await post(next.jar, '/login/mfa', step, { mfa_token: hiddenField(step, 'mfa_token'), recovery_code: codes[0] });
    expect(ok.status).toBe(303);
  });

  it('continue without the SSO session returns nothing; without the CSRF cookie the enrolment is refused', async () => {
    const { res, jar } = await start(w.member.email);
    const page = await res.text();
    expect(page).toContain('Set up two-step verification');
    const refused = await post(new CookieJar(), '/login/mfa/enroll', page, { mfa_token: hiddenField(page, 'mfa_token'), code: totpCodeAt(secretOf(page)!, now()) });
    expect(refused.status).toBe(403);
    const noSession = await post(jar, '/login/continue', page, {});
    expect(noSession.status).toBe(401);
    expect(noSession.headers.get('location')).toBeNull();
  });

  it('a member whose second factor is a passkey is sent to "Use a passkey", not to an authenticator set-up', async () => {
    const kim = await createUser(w.t.deps, { email: 'kim@beta.test', fullName: 'Kim', password: PASSWORD, approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
    upsertCompanyMembership(w.t.deps, TEST_ACTOR, w.beta.id, { userId: kim.id, role: 'SUBMITTER' });
    insertPasskey(w.t.deps, { credential_id: 'cred-kim', user_id: kim.id, name: 'Key', public_key: Buffer.from([1, 2, 3]), counter: 0, transports: '[]', device_type: 'singleDevice', backed_up: 0, created_at: w.t.deps.clock.nowMs(), last_used_at: null });
    const { res, jar } = await start(kim.email);
    expect(res.status).toBe(400);
    const page = await res.text();
    expect(page).not.toContain('Set up two-step verification');
    // The page says why, and carries the passkey form itself.
    expect(page).toMatch(/your account has a passkey/);
    expect(page).toContain('id="passkey-sign-in"');
    // Nothing started: no SSO session to continue from.
    expect((await post(jar, '/login/continue', page, {})).status).toBe(401);
  });
});
