import { createHash } from 'node:crypto';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, get, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';
import { setTenantSigningAlg } from '../../src/oidc/provider-settings.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { rotateSigningKey } from '../../src/keys/signing-keys.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { TenantTokenVerifier } from '../../src/tokens/tenant-tokens.ts';

/**
 * A checklist modelled on the OpenID Foundation's conformance plans: "Config OP" (discovery document, JWKS) and
 * "Basic OP" (response_type=code: nonce, at_hash, auth_time with max_age, prompt=none, claims by scope, userinfo,
 * key rotation). Each `it` names the plan's module it stands for.
 */
describe('OpenID conformance checklist (Basic OP, Config OP)', () => {
  let w: OidcWorld;
  const REDIRECT = 'http://127.0.0.1:9/cb';
  const insecure = { execute: [oidc.allowInsecureRequests] };
  let config: oidc.Configuration;
  const issuer = (slug = 'acme') => `${w.base}/t/${slug}`;

  beforeAll(async () => {
    w = await oidcWorld();
    for (const slug of ['acme', 'beta']) registerClient(w, slug, { name: 'RP', type: 'public', clientId: 'rp', redirectUris: [REDIRECT] });
    config = await oidc.discovery(new URL(issuer()), 'rp', undefined, oidc.None(), insecure);
  });
  afterAll(() => w.close());

  async function flow(opts: { slug?: string; scope?: string; jar?: CookieJar; extra?: Record<string, string> } = {}) {
    const slug = opts.slug ?? 'acme';
    const conf = slug === 'acme' ? config : await oidc.discovery(new URL(issuer(slug)), 'rp', undefined, oidc.None(), insecure);
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(conf, {
      redirect_uri: REDIRECT,
      scope: opts.scope ?? 'openid',
      nonce,
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      ...opts.extra,
    });
    const jar = opts.jar ?? new CookieJar();
    const res = await signInThroughHostedPage(url.href, jar, w.member.email);
    expect(res.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(conf, new URL(res.headers.get('location')!), { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state });
    const verified = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(conf.serverMetadata().jwks_uri!)), { issuer: issuer(slug), audience: 'rp' });
    return { tokens, nonce, id: verified, jar, conf };
  }

  it('Config OP: discovery has every required field, the issuer equals its URL, JSON', async () => {
    const res = await fetch(`${issuer()}/.well-known/openid-configuration`);
    expect(res.headers.get('content-type')).toContain('application/json');
    const m = (await res.json()) as Record<string, unknown>;
    for (const field of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported', 'userinfo_endpoint', 'scopes_supported', 'claims_supported']) {
      expect(m, field).toHaveProperty(field);
    }
    expect(m.issuer).toBe(issuer());
    expect(m.response_types_supported).toEqual(['code']);
    expect(m.id_token_signing_alg_values_supported).toContain('RS256');
    expect(m.grant_types_supported).toEqual(['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange']);
    expect(m.token_endpoint_auth_methods_supported).toEqual(['client_secret_basic', 'client_secret_post', 'none']);
  });

  it("Config OP: the JWKS holds only this tenant's keys, each with kid, use and alg", async () => {
    const acme = (await (await fetch(`${issuer()}/protocol/openid-connect/certs`)).json()) as { keys: Array<Record<string, string>> };
    const beta = (await (await fetch(`${issuer('beta')}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    const platform = (await (await fetch(`${w.base}/.well-known/jwks.json`)).json()) as { keys: Array<Record<string, string>> };
    expect(acme.keys.length).toBeGreaterThan(0);
    for (const k of acme.keys) expect(k).toMatchObject({ kid: expect.any(String), use: 'sig', alg: expect.any(String) });
    const kids = (s: { keys: Array<Record<string, string>> }) => s.keys.map((k) => k.kid);
    expect(kids(acme).filter((k) => kids(beta).includes(k) || kids(platform).includes(k))).toEqual([]);
    for (const k of acme.keys) expect(k).not.toHaveProperty('d');
  });

  it('Basic OP (oidcc-server): code flow, ID token with iss/aud/azp/iat/exp/sub', async () => {
    const { id } = await flow();
    expect(id.payload).toMatchObject({ iss: issuer(), aud: 'rp', azp: 'rp', sub: w.member.id });
    expect(id.payload.exp! - id.payload.iat!).toBeGreaterThan(0);
  });

  it('Basic OP (oidcc-nonce): the nonce comes back', async () => {
    const { id, nonce } = await flow();
    expect(id.payload.nonce).toBe(nonce);
  });

  it('Basic OP: at_hash is the left half of SHA-256 of the access token', async () => {
    const { id, tokens } = await flow();
    const digest = createHash('sha256').update(tokens.access_token).digest();
    expect(id.payload.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
  });

  it('Basic OP (oidcc-max-age-1 / -10000): auth_time, and a fresh sign-in once max_age has passed', async () => {
    const first = await flow();
    const authTime = first.id.payload.auth_time as number;
    expect(Math.abs(authTime - Math.floor(Date.now() / 1000))).toBeLessThan(30);
    const url = (maxAge: string) =>
      oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', max_age: maxAge, code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).href;
    expect((await get(url('10000'), first.jar)).headers.get('location')).toMatch(/[?&]code=/);
    w.t.clock.advance(2_000);
    const again = await get(url('1'), first.jar);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('name="password"');
  });

  it('Basic OP (oidcc-prompt-none-logged-in / -not-logged-in)', async () => {
    const { jar } = await flow();
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' }).href;
    expect((await get(url, jar)).headers.get('location')).toMatch(/[?&]code=/);
    expect(new URL((await get(url, new CookieJar())).headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });

  it.each([
    ['openid', { sub: true }, ['email', 'name']],
    ['openid email', { sub: true, email: true, email_verified: true }, ['name']],
    ['openid profile', { sub: true, name: true }, ['email']],
  ] as const)('Basic OP (oidcc-scope-*): scope "%s" gives exactly its claims, in the ID token and at userinfo', async (scope, present, absent) => {
    const { tokens, id } = await flow({ scope });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, w.member.id);
    for (const claims of [id.payload as Record<string, unknown>, info as Record<string, unknown>]) {
      for (const k of Object.keys(present)) expect(claims).toHaveProperty(k);
      for (const k of absent) expect(claims).not.toHaveProperty(k);
    }
  });

  it('Basic OP (oidcc-userinfo-get / -post-header / -post-body)', async () => {
    const { tokens } = await flow({ scope: 'openid email' });
    const url = `${issuer()}/protocol/openid-connect/userinfo`;
    const bearer = { authorization: `Bearer ${tokens.access_token}` };
    expect((await fetch(url, { headers: bearer })).status).toBe(200);
    expect((await fetch(url, { method: 'POST', headers: bearer })).status).toBe(200);
    const body = await fetch(url, { method: 'POST', body: new URLSearchParams({ access_token: tokens.access_token }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(await body.json()).toMatchObject({ sub: w.member.id, email: w.member.email });
  });

  it('Basic OP (oidcc-ensure-request-object-with-redirect-uri / -request-uri): refused with an error at the redirect URI', async () => {
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', request: 'eyJ.x.y', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' });
    expect(new URL((await get(url.href)).headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  it('Basic OP (oidcc-refresh-token): a rotated refresh token, the new access token verifies', async () => {
    const { tokens } = await flow({ scope: 'openid offline_access' });
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await jwtVerify(next.access_token, createRemoteJWKSet(new URL(`${issuer()}/protocol/openid-connect/certs`)), { issuer: issuer() });
  });

  it('Config OP (key rotation): tokens of the old key still verify; new ones carry the new kid', async () => {
    const before = await flow();
    const oldKid = decodeProtectedHeader(before.tokens.access_token).kid;
    await rotateSigningKey(w.t.deps, w.acme.id, TEST_ACTOR);
    const jwks = createRemoteJWKSet(new URL(`${issuer()}/protocol/openid-connect/certs`));
    await jwtVerify(before.tokens.access_token, jwks, { issuer: issuer() });
    const after = await flow();
    expect(decodeProtectedHeader(after.tokens.access_token).kid).not.toBe(oldKid);
    expect((await oidc.fetchUserInfo(config, before.tokens.access_token, w.member.id)).sub).toBe(w.member.id);
  });

  it.each(['ES256', 'EdDSA'] as const)('signing algorithm per tenant: %s, with the RS256 key still published', async (alg) => {
    const oldKids = ((await (await fetch(`${issuer('beta')}/protocol/openid-connect/certs`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    w.t.clock.advance(1_000);
    const rotated = await setTenantSigningAlg(w.t.deps, cliOperator(), 'beta', alg);
    expect(rotated?.alg).toBe(alg);
    const meta = (await (await fetch(`${issuer('beta')}/.well-known/openid-configuration`)).json()) as { id_token_signing_alg_values_supported: string[] };
    expect(meta.id_token_signing_alg_values_supported).toContain(alg);
    const certs = (await (await fetch(`${issuer('beta')}/protocol/openid-connect/certs`)).json()) as { keys: Array<{ kid: string; alg: string }> };
    expect(certs.keys[0].alg).toBe(alg);
    expect(certs.keys.map((k) => k.kid)).toEqual(expect.arrayContaining(oldKids));
    const { tokens, id } = await flow({ slug: 'beta', scope: 'openid email' });
    expect(id.protectedHeader.alg).toBe(alg);
    expect(decodeProtectedHeader(tokens.access_token).alg).toBe(alg);
    const conf = await oidc.discovery(new URL(issuer('beta')), 'rp', undefined, oidc.None(), insecure);
    expect((await oidc.fetchUserInfo(conf, tokens.access_token, w.member.id)).email).toBe(w.member.email);
    // kimauth's own verifier of tenant tokens (the authorization check, act-as) takes the tenant's algorithm too.
    const claims = new TenantTokenVerifier(w.t.deps).verify({ id: w.beta.id, slug: 'beta' }, issuer('beta'), tokens.access_token);
    expect(claims).toMatchObject({ sub: w.member.id, tenant: 'beta', actor_type: 'user' });
    expect(await setTenantSigningAlg(w.t.deps, cliOperator(), 'beta', alg)).toBeNull();
    // `kimauth keys rotate` keeps the tenant's algorithm.
    w.t.clock.advance(1_000);
    expect((await rotateSigningKey(w.t.deps, w.beta.id, TEST_ACTOR)).alg).toBe(alg);
  });
});
