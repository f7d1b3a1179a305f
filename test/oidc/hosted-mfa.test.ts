import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { CookieJar, hiddenField, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld, pkceAuthorizationRequest } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';

/**
 * Issue 13 §1 on the hosted pages: a user with TOTP signs in through /t/{slug}/… only after the second step —
 * the same proof as POST /auth/mfa/verify — and a tenant that requires MFA lets no one without it in.
 */
describe('the hosted sign-in asks for the second factor', () => {
  let w: OidcWorld;
  let conf: oidc.Configuration;
  let betaConf: oidc.Configuration;
  let secret = '';
  let recoveryCodes: string[] = [];

  beforeAll(async () => {
    w = await oidcWorld();
    for (const tenant of ['acme', 'beta']) registerClient(w, tenant, { name: 'Web', type: 'public', clientId: 'web', redirectUris: [redirectUri] });
    conf = await oidc.discovery(new URL(`${w.base}/t/acme`), 'web', undefined, oidc.None(), insecure);
    betaConf = await oidc.discovery(new URL(`${w.base}/t/beta`), 'web', undefined, oidc.None(), insecure);
    // Enrolled at the current step; the sign-ins below use the next step's code (inside the ±1 window, not yet spent).
    ({ secret, recoveryCodes } = await enrolTotp(w.t.deps, w.member, () => undefined));
  });
  afterAll(() => w.close());

  async function start(config: oidc.Configuration, email: string) {
    const { url, verifier, state } = await pkceAuthorizationRequest(config, redirectUri);
    const jar = new CookieJar();
    const res = await signInThroughHostedPage(url.href, jar, email);
    return { res, jar, verifier, state };
  }

  async function postStep(jar: CookieJar, page: string, fields: Record<string, string>) {
    const action = `${w.base}/t/acme/login/mfa`;
    const body = new URLSearchParams({ request: hiddenField(page, 'request'), csrf: hiddenField(page, 'csrf'), mfa_token: hiddenField(page, 'mfa_token'), ...fields });
    const res = await fetch(action, { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(action) } });
    jar.store(res);
    return res;
  }

  it('password → the code step (no code, no SSO cookie yet); a wrong code keeps the step open; the right one returns to the app with tokens', async () => {
    const { res, jar, verifier, state } = await start(conf, w.member.email);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('Two-step verification');
    expect(page).toMatch(/<label for="code">Authentication code<\/label>/);
    expect(jar.has('kimauth_sso')).toBe(false);

    const wrong = await postStep(jar, page, { code: '000000' === codeNow(w.t.deps, secret, 30) ? '111111' : '000000' });
    expect(wrong.status).toBe(401);
    const again = await wrong.text();
    expect(again).toMatch(/role="alert"[^>]*>That code is not valid/);

    const right = await postStep(jar, again, { code: codeNow(w.t.deps, secret, 30) });
    expect(right.status, await right.clone().text()).toBe(303);
    expect(jar.has('kimauth_sso')).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(conf, new URL(right.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
    const issuer = `${w.base}/t/acme`;
    const { payload } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)), { issuer, audience: 'web' });
    expect(payload.sub).toBe(w.member.id);
    const signedIn = w.t.deps.sqlite
      .prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.signed_in' ORDER BY seq DESC LIMIT 1")
      .pluck()
      .get(w.acme.id) as string;
    expect(JSON.parse(signedIn)).toMatchObject({ authType: 'oidc_sso', mfa: 'totp', client_id: 'web' });

    // The step is spent: posting it again starts nothing.
    const replay = await postStep(jar, again, { code: codeNow(w.t.deps, secret, 30) });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('Sign-in link expired');
  });

  it('a recovery code completes the step once; the same code a second time does not', async () => {
    const first = await start(conf, w.member.email);
    const ok = await postStep(first.jar, await first.res.text(), { recovery_code: recoveryCodes[0] });
    expect(ok.status).toBe(303);
    const second = await start(conf, w.member.email);
    const refused = await postStep(second.jar, await second.res.text(), { recovery_code: recoveryCodes[0] });
    expect(refused.status).toBe(401);
  });

  it('without the CSRF cookie the step is refused and nothing is spent', async () => {
    const { res } = await start(conf, w.member.email);
    const refused = await postStep(new CookieJar(), await res.text(), { code: codeNow(w.t.deps, secret, 30) });
    expect(refused.status).toBe(403);
  });

  it('a tenant that requires MFA does not let a member without it in: no code and no SSO cookie, the enrolment page instead', async () => {
    setTenantMfaRequirement(w.t.deps, cliOperator(), 'beta', true);
    const { res, jar } = await start(betaConf, w.betaMember.email);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Set up two-step verification');
    expect(res.headers.get('location')).toBeNull();
    expect(jar.has('kimauth_sso')).toBe(false);
  });
});
