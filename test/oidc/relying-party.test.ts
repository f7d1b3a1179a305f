import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, get, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };

describe('a real relying party (openid-client v6) against tenant acme', () => {
  let w: OidcWorld;
  let issuer: string;
  let pub: oidc.Configuration;
  let conf: oidc.Configuration;
  let ccSecret: string;
  const redirectUri = 'http://127.0.0.1:9/cb';
  const jwks = () => createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
  const verify = (token: string, audience: string) => jwtVerify(token, jwks(), { issuer, audience });

  beforeAll(async () => {
    w = await oidcWorld();
    issuer = `${w.base}/t/acme`;
    registerClient(w, 'acme', {
      name: 'Web',
      type: 'public',
      clientId: 'web',
      redirectUris: [redirectUri],
      postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
    });
    ccSecret = registerClient(w, 'acme', {
      name: 'Backend',
      type: 'confidential',
      clientId: 'backend',
      grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirectUris: [redirectUri],
      scopes: ['openid', 'profile', 'email', 'offline_access', 'reports.read'],
    }).clientSecret!;
    pub = await oidc.discovery(new URL(issuer), 'web', undefined, oidc.None(), insecure);
    conf = await oidc.discovery(new URL(issuer), 'backend', ccSecret, undefined, insecure);
  });
  afterAll(() => w.close());

  async function codeFlow(config: oidc.Configuration, jar: CookieJar, scope = 'openid profile email offline_access', extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...extra,
    });
    const back = await signInThroughHostedPage(url.href, jar, w.member.email);
    expect(back.status).toBe(303);
    const callback = new URL(back.headers.get('location')!);
    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    return { tokens, nonce, callback };
  }

  it('discovers a complete, truthful configuration', () => {
    const m = pub.serverMetadata();
    expect(m.issuer).toBe(issuer);
    expect(m.authorization_endpoint).toBe(`${issuer}/protocol/openid-connect/auth`);
    expect(m.token_endpoint).toBe(`${issuer}/protocol/openid-connect/token`);
    expect(m.jwks_uri).toBe(`${issuer}/protocol/openid-connect/certs`);
    expect(m.end_session_endpoint).toBe(`${issuer}/protocol/openid-connect/logout`);
    expect(m.code_challenge_methods_supported).toEqual(['S256']);
    expect(m.scopes_supported).toEqual(expect.arrayContaining(['openid', 'profile', 'email', 'offline_access', 'reports.read']));
  });

  it('signs in with code + PKCE through the real hosted page; every token verifies against the certs', async () => {
    const { tokens, nonce } = await codeFlow(pub, new CookieJar());
    const id = await verify(tokens.id_token!, 'web');
    expect(id.payload).toMatchObject({ sub: w.member.id, nonce, azp: 'web', email: w.member.email, name: 'jane', tenant: 'acme' });
    expect(id.payload.auth_time).toBeTypeOf('number');
    expect(id.payload.at_hash).toBeTypeOf('string');
    expect(id.protectedHeader.alg).toBe('RS256');
    const at = await verify(tokens.access_token, 'web');
    expect(at.payload).toMatchObject({ sub: w.member.id, client_id: 'web', tenant: 'acme', actor_type: 'user', scope: 'openid profile email offline_access' });
    expect(at.payload.realm_access).toEqual({ roles: expect.any(Array) });
    expect(at.payload.jti).toBeTypeOf('string');
    expect(at.payload.sid).toBe(id.payload.sid);
    expect(tokens.refresh_token).toBeTypeOf('string');
    const info = await oidc.fetchUserInfo(pub, tokens.access_token, w.member.id);
    expect(info).toMatchObject({ sub: w.member.id, email: w.member.email, name: 'jane' });
  });

  it('rotates refresh tokens; a reused one revokes the session', async () => {
    const { tokens } = await codeFlow(pub, new CookieJar());
    const next = await oidc.refreshTokenGrant(pub, tokens.refresh_token!);
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    await verify(next.access_token, 'web');
    await expect(oidc.refreshTokenGrant(pub, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.refreshTokenGrant(pub, next.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(oidc.fetchUserInfo(pub, next.access_token, w.member.id)).rejects.toBeDefined();
  });

  it('client credentials: sub is the client, actor_type client, no refresh token', async () => {
    const tokens = await oidc.clientCredentialsGrant(conf, { scope: 'reports.read' });
    const at = await verify(tokens.access_token, 'backend');
    expect(at.payload).toMatchObject({ sub: 'backend', client_id: 'backend', actor_type: 'client', scope: 'reports.read', tenant: 'acme' });
    expect(tokens.refresh_token).toBeUndefined();
    const intro = await oidc.tokenIntrospection(conf, tokens.access_token);
    expect(intro).toMatchObject({ active: true, client_id: 'backend', sub: 'backend' });
    await oidc.tokenRevocation(conf, tokens.access_token);
    expect(await oidc.tokenIntrospection(conf, tokens.access_token)).toEqual({ active: false });
  });

  it('introspects and revokes refresh tokens (RFC 7662 / 7009)', async () => {
    const { tokens } = await codeFlow(conf, new CookieJar());
    expect(await oidc.tokenIntrospection(conf, tokens.refresh_token!)).toMatchObject({ active: true, token_type: 'refresh_token', sub: w.member.id });
    expect(await oidc.tokenIntrospection(conf, tokens.access_token)).toMatchObject({ active: true, sub: w.member.id });
    await oidc.tokenRevocation(conf, tokens.refresh_token!);
    expect(await oidc.tokenIntrospection(conf, tokens.refresh_token!)).toEqual({ active: false });
    expect(await oidc.tokenIntrospection(conf, tokens.access_token)).toEqual({ active: false });
  });

  it('SSO: a second /auth skips the form; prompt=login asks again; end session ends it and returns to the registered URI', async () => {
    const jar = new CookieJar();
    const { tokens } = await codeFlow(pub, jar, 'openid');
    expect(jar.has('kimauth_sso')).toBe(true);
    const again = oidc.buildAuthorizationUrl(pub, {
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const sso = await get(again.href, jar);
    expect(sso.status).toBe(303);
    expect(sso.headers.get('location')).toMatch(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
    const forced = new URL(again);
    forced.searchParams.set('prompt', 'login');
    const form = await get(forced.href, jar);
    expect(form.status).toBe(200);
    expect(await form.text()).toContain('<form method="post"');

    const logout = oidc.buildEndSessionUrl(pub, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye', state: 'st' });
    const out = await get(logout.href, jar);
    expect(out.status).toBe(303);
    expect(out.headers.get('location')).toBe('http://127.0.0.1:9/bye?state=st');
    const none = new URL(again);
    none.searchParams.set('prompt', 'none');
    none.searchParams.set('state', 's1');
    const after = new URL((await get(none.href, jar)).headers.get('location')!);
    expect(after.searchParams.get('error')).toBe('login_required');
    expect(after.searchParams.get('state')).toBe('s1');
    await expect(oidc.fetchUserInfo(pub, tokens.access_token, w.member.id)).rejects.toBeDefined();
  });
});
