import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieJar, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';

/**
 * Issue 11 §4: the OIDC refresh grant follows the /auth/refresh rule of the sessions context, reuse grace
 * (KIMAUTH_REFRESH_REUSE_GRACE) included, driven by openid-client v6.
 */
describe('OIDC refresh tokens: one reuse rule with /auth/refresh', () => {
  let w: OidcWorld | undefined;
  afterEach(async () => {
    await w?.close();
    w = undefined;
  });

  async function world(grace: number) {
    w = await oidcWorld({ refreshReuseGrace: grace });
    registerClient(w, 'acme', { name: 'Web', type: 'public', clientId: 'web', redirectUris: [redirectUri], scopes: ['openid', 'email', 'offline_access'] });
    const issuer = `${w.base}/t/acme`;
    const config = await oidc.discovery(new URL(issuer), 'web', undefined, oidc.None(), insecure);
    return { w, issuer, config };
  }

  async function signIn(w: OidcWorld, config: oidc.Configuration, scope: string) {
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      nonce,
    });
    const back = await signInThroughHostedPage(url.href, new CookieJar(), w.member.email);
    expect(back.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(back.headers.get('location')!), { pkceCodeVerifier: verifier, expectedNonce: nonce });
    return { tokens, nonce };
  }

  const reuseRevocations = (w: OidcWorld) =>
    (w.t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'session.revoked'").all() as Array<{ payload: string }>).filter(
      (r) => JSON.parse(r.payload).reason === 'refresh_token_reuse',
    ).length;

  it.each([
    { name: 'grace off: any reuse revokes', grace: 0, waitMs: 0, successorUsed: false, replays: false },
    { name: 'inside the grace, successor unused: the same successor again', grace: 5, waitMs: 2_000, successorUsed: false, replays: true },
    { name: 'at the end of the grace, successor unused: still the same successor', grace: 5, waitMs: 5_000, successorUsed: false, replays: true },
    { name: 'just outside the grace: the session is revoked', grace: 5, waitMs: 5_001, successorUsed: false, replays: false },
    { name: 'inside the grace but the successor was used: the session is revoked', grace: 5, waitMs: 1_000, successorUsed: true, replays: false },
  ])('$name', async ({ grace, waitMs, successorUsed, replays }) => {
    const { w, issuer, config } = await world(grace);
    const { tokens } = await signIn(w, config, 'openid offline_access');
    const first = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(first.refresh_token).not.toBe(tokens.refresh_token);
    let current = first.refresh_token!;
    if (successorUsed) current = (await oidc.refreshTokenGrant(config, first.refresh_token!)).refresh_token!;
    w.t.clock.advance(waitMs);

    if (replays) {
      const again = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(again.refresh_token).toBe(first.refresh_token);
      const at = await jwtVerify(again.access_token, createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`)), { issuer, audience: 'web' });
      expect(at.payload.sid).toBe(decodeJwt(first.access_token).sid);
      // The successor is still good, once; no session was revoked.
      const next = await oidc.refreshTokenGrant(config, first.refresh_token!);
      expect(next.refresh_token).not.toBe(first.refresh_token);
      expect(reuseRevocations(w)).toBe(0);
    } else {
      await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
      // The whole session went: the newest token of its family stops working, and so does its access token.
      await expect(oidc.refreshTokenGrant(config, current)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(oidc.fetchUserInfo(config, first.access_token, w.member.id)).rejects.toBeDefined();
      expect(reuseRevocations(w)).toBe(1);
    }
  });

  it('a replay within the grace is still refused for an account that may no longer sign in, without revoking', async () => {
    const { w, config } = await world(5);
    const { tokens } = await signIn(w, config, 'openid offline_access');
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    w.t.deps.sqlite.prepare('UPDATE users SET is_active = 0 WHERE id = ?').run(w.member.id);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect(reuseRevocations(w)).toBe(0);
  });

  it('a refused refresh (wider scope) spends nothing: the token still works afterwards', async () => {
    const { w, config } = await world(0);
    const { tokens } = await signIn(w, config, 'openid offline_access');
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid offline_access email' })).rejects.toMatchObject({ error: 'invalid_scope' });
    const next = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(next.refresh_token).toBeTypeOf('string');
    expect(reuseRevocations(w)).toBe(0);
  });

  it('with openid, a refresh returns a new ID token: same iss/sub/aud, the original auth_time, no nonce (OIDC Core §12.2)', async () => {
    const { w, issuer, config } = await world(0);
    const { tokens, nonce } = await signIn(w, config, 'openid email offline_access');
    const jwks = createRemoteJWKSet(new URL(`${issuer}/protocol/openid-connect/certs`));
    const original = await jwtVerify(tokens.id_token!, jwks, { issuer, audience: 'web' });
    expect(original.payload.nonce).toBe(nonce);
    w.t.clock.advance(2_000);
    // openid-client itself checks the refreshed ID token against the first one (iss, sub, aud, auth_time).
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.id_token).toBeTypeOf('string');
    expect(refreshed.id_token).not.toBe(tokens.id_token);
    const id = await jwtVerify(refreshed.id_token!, jwks, { issuer, audience: 'web' });
    expect(id.protectedHeader.alg).toBe('RS256');
    expect(id.payload.sub).toBe(original.payload.sub);
    expect(id.payload.aud).toBe(original.payload.aud);
    expect(id.payload.iss).toBe(original.payload.iss);
    expect(id.payload.auth_time).toBe(original.payload.auth_time);
    expect(id.payload.iat).toBeGreaterThan(original.payload.iat!);
    expect(id.payload).not.toHaveProperty('nonce');
    expect(id.payload.sid).toBe(original.payload.sid);
    expect(id.payload.email).toBe(w.member.email);
    expect(refreshed.claims()).toMatchObject({ sub: w.member.id, auth_time: original.payload.auth_time });
  });

  it('without openid in the refreshed scope, no ID token', async () => {
    const { w, config } = await world(0);
    const { tokens } = await signIn(w, config, 'openid offline_access');
    const narrowed = await oidc.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'offline_access' });
    expect(narrowed.id_token).toBeUndefined();
    expect(narrowed.scope).toBe('offline_access');
  });
});
