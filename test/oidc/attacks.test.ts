import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, get, hiddenField, oidcWorld, registerClient, signInThroughHostedPage, type OidcWorld } from './support.ts';
import { updateClient } from '../../src/clients/clients.ts';
import { updateTenant } from '../../src/tenants/tenants.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { TEST_ACTOR } from '../support/deps.ts';
import { revokeSessionById } from '../../src/sessions/sign-out.ts';

const REDIRECT = 'https://app.example/cb';
const verifierPair = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

describe('attacks on the OpenID Provider, each refused', () => {
  let w: OidcWorld;
  let secret: string;
  let betaSecret: string;
  const acmeUrl = () => `${w.base}/t/acme/protocol/openid-connect`;

  beforeAll(async () => {
    w = await oidcWorld();
    registerClient(w, 'acme', { name: 'Web', type: 'public', clientId: 'web', redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://app.example/bye'] });
    registerClient(w, 'acme', { name: 'Other', type: 'public', clientId: 'other', redirectUris: [REDIRECT] });
    secret = registerClient(w, 'acme', { name: 'Svc', type: 'confidential', clientId: 'svc', grantTypes: ['client_credentials'], scopes: ['api'] }).clientSecret!;
    registerClient(w, 'beta', { name: 'Beta web', type: 'public', clientId: 'web', redirectUris: [REDIRECT] });
    betaSecret = registerClient(w, 'beta', { name: 'Beta svc', type: 'confidential', clientId: 'svc', grantTypes: ['client_credentials'], scopes: ['api'] }).clientSecret!;
  });
  afterAll(() => w.close());

  const authUrl = (tenant: string, params: Record<string, string>) => {
    const u = new URL(`${w.base}/t/${tenant}/protocol/openid-connect/auth`);
    for (const [k, v] of Object.entries({ response_type: 'code', client_id: 'web', redirect_uri: REDIRECT, scope: 'openid email', state: 'xyz', ...params })) {
      u.searchParams.set(k, v);
    }
    return u.href;
  };
  const token = (tenant: string, body: Record<string, string>, basic?: string) =>
    fetch(`${w.base}/t/${tenant}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams(body),
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(basic ? { authorization: `Basic ${Buffer.from(basic).toString('base64')}` } : {}) },
    });
  async function code(tenant = 'acme', clientId = 'web', email = w.member.email) {
    const { verifier, challenge } = verifierPair();
    const res = await signInThroughHostedPage(authUrl(tenant, { client_id: clientId, code_challenge: challenge, code_challenge_method: 'S256' }), new CookieJar(), email);
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    return { code: back.searchParams.get('code')!, verifier };
  }
  async function tokensFor(tenant = 'acme', clientId = 'web') {
    const c = await code(tenant, clientId);
    const res = await token(tenant, { grant_type: 'authorization_code', client_id: clientId, code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; refresh_token: string; id_token: string };
  }

  it.each([
    'https://app.example/cb/',
    'https://app.example/cb?x=1',
    'https://app.example/cbx',
    'https://app.example/c',
    'https://app.example.evil/cb',
    'https://app.example.evil',
    'https://evil.example/cb',
    'HTTPS://APP.EXAMPLE/cb',
    'https://app.example/cb#frag',
    'https://user@app.example/cb',
  ])('redirect URI %s is not registered: an HTML page, never a redirect', async (redirect) => {
    const res = await get(authUrl('acme', { redirect_uri: redirect, code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('not registered');
  });

  it('an unknown client is an HTML page too', async () => {
    const res = await get(authUrl('acme', { client_id: 'nope' }));
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it.each([
    [{ code_challenge: verifierPair().challenge, code_challenge_method: 'plain' }, 'invalid_request', 'plain'],
    [{}, 'invalid_request', 'PKCE'],
    [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request', 'code_challenge'],
    [{ response_type: 'token', code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }, 'unsupported_response_type', 'code'],
    [{ scope: 'openid admin', code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }, 'invalid_scope', 'admin'],
    [{ prompt: 'none', code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }, 'login_required', ''],
  ])('authorization request %j goes back to the verified redirect URI with %s', async (params, error, words) => {
    const res = await get(authUrl('acme', params as Record<string, string>));
    expect(res.status).toBe(303);
    const back = new URL(res.headers.get('location')!);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get('error')).toBe(error);
    expect(back.searchParams.get('error_description')).toContain(words);
    expect(back.searchParams.get('state')).toBe('xyz');
    expect(back.searchParams.get('iss')).toBe(`${w.base}/t/acme`);
  });

  it.each([
    ['missing verifier', (c: { code: string; verifier: string }) => ({ code: c.code })],
    ['wrong verifier', (c: { code: string; verifier: string }) => ({ code: c.code, code_verifier: randomBytes(32).toString('base64url') })],
    ['other client', (c: { code: string; verifier: string }) => ({ code: c.code, code_verifier: c.verifier, client_id: 'other' })],
    ['other redirect URI', (c: { code: string; verifier: string }) => ({ code: c.code, code_verifier: c.verifier, redirect_uri: 'https://app.example/cb2' })],
    ['made-up code', (c: { code: string; verifier: string }) => ({ code: 'x' + c.code, code_verifier: c.verifier })],
  ])('a code with %s is invalid_grant', async (_name, tamper) => {
    const c = await code();
    const res = await token('acme', { grant_type: 'authorization_code', client_id: 'web', redirect_uri: REDIRECT, ...tamper(c) });
    expect(res.status).toBe(400);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a replayed code is refused and what it issued is revoked', async () => {
    const c = await code();
    const body = { grant_type: 'authorization_code', client_id: 'web', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier };
    const first = await token('acme', body);
    const tokens = (await first.json()) as { refresh_token: string; access_token: string };
    const replay = await token('acme', body);
    expect(await replay.json()).toMatchObject({ error: 'invalid_grant' });
    const refresh = await token('acme', { grant_type: 'refresh_token', client_id: 'web', refresh_token: tokens.refresh_token });
    expect(await refresh.json()).toMatchObject({ error: 'invalid_grant' });
    const info = await fetch(`${acmeUrl()}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(info.status).toBe(401);
  });

  it("another client's refresh token is invalid_grant (and stays unspent for its owner)", async () => {
    const tokens = await tokensFor();
    const stolen = await token('acme', { grant_type: 'refresh_token', client_id: 'other', refresh_token: tokens.refresh_token });
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant' });
    const owner = await token('acme', { grant_type: 'refresh_token', client_id: 'web', refresh_token: tokens.refresh_token });
    expect(owner.status).toBe(200);
  });

  it("beta's tokens mean nothing at acme's userinfo and introspection", async () => {
    const betaTokens = await tokensFor('beta');
    const info = await fetch(`${acmeUrl()}/userinfo`, { headers: { authorization: `Bearer ${betaTokens.access_token}` } });
    expect(info.status).toBe(401);
    expect(info.headers.get('www-authenticate')).toContain('invalid_token');
    const cc = await token('beta', { grant_type: 'client_credentials' }, `svc:${betaSecret}`);
    const betaAccess = ((await cc.json()) as { access_token: string }).access_token;
    for (const t of [betaAccess, betaTokens.refresh_token, betaTokens.access_token]) {
      const res = await fetch(`${acmeUrl()}/introspect`, {
        method: 'POST',
        body: new URLSearchParams({ token: t }),
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}` },
      });
      expect(await res.json()).toEqual({ active: false });
    }
  });

  it('invalid_client is 401 with WWW-Authenticate', async () => {
    const res = await token('acme', { grant_type: 'client_credentials' }, `svc:wrong`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(await res.json()).toMatchObject({ error: 'invalid_client' });
    expect((await token('acme', { grant_type: 'password' }, `svc:${secret}`)).status).toBe(400);
    expect(await (await token('acme', { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT }, `svc:${secret}`)).json()).toMatchObject({
      error: 'unauthorized_client',
    });
  });

  it('a form post without the CSRF cookie is refused', async () => {
    const jar = new CookieJar();
    const page = await (await get(authUrl('acme', { code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), jar)).text();
    const body = new URLSearchParams({ request: hiddenField(page, 'request'), csrf: hiddenField(page, 'csrf'), email: w.member.email, password: 'member-password-1' });
    const res = await fetch(`${w.base}/t/acme/login`, { method: 'POST', redirect: 'manual', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(403);
    expect(res.headers.get('location')).toBeNull();
    const forged = await fetch(`${w.base}/t/acme/login`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ ...Object.fromEntries(body), csrf: 'guess' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(`${w.base}/t/acme/login`) },
    });
    expect(forged.status).toBe(403);
  });

  it('a wrong password and an unknown email read the same; an outsider gets "no access to this workspace"', async () => {
    const wrong = await signInThroughHostedPage(authUrl('acme', { code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), new CookieJar(), w.member.email, 'nope-nope-nope');
    const unknown = await signInThroughHostedPage(authUrl('acme', { code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), new CookieJar(), 'ghost@acme.test', 'nope-nope-nope');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = (html: string) => html.replace(/value="[^"]*"/g, '');
    expect(strip(await wrong.text()).replace(w.member.email, '')).toBe(strip(await unknown.text()).replace('ghost@acme.test', ''));
    const outsider = await signInThroughHostedPage(authUrl('acme', { code_challenge: verifierPair().challenge, code_challenge_method: 'S256' }), new CookieJar(), w.outsider.email);
    expect(outsider.status).toBe(403);
    expect(await outsider.text()).toContain('No access to this workspace');
  });

  it.each(['https://evil.example/bye', 'https://app.example/bye/../evil', 'https://app.example/byex'])(
    'post_logout_redirect_uri %s is not followed',
    async (target) => {
      const tokens = await tokensFor();
      const u = new URL(`${acmeUrl()}/logout`);
      u.searchParams.set('id_token_hint', tokens.id_token);
      u.searchParams.set('post_logout_redirect_uri', target);
      const res = await get(u.href);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/html');
    },
  );

  it('a logout link without an ID token hint only asks; the CSRF-protected confirmation signs out', async () => {
    const jar = new CookieJar();
    const { challenge } = verifierPair();
    const signedIn = await signInThroughHostedPage(authUrl('acme', { code_challenge: challenge, code_challenge_method: 'S256' }), jar, w.member.email);
    expect(signedIn.status).toBe(303);
    const sso = () => get(authUrl('acme', { code_challenge: challenge, code_challenge_method: 'S256' }), jar);
    const ask = await get(`${acmeUrl()}/logout`, jar);
    expect(ask.status).toBe(200);
    const page = await ask.text();
    expect(page).toContain('Do you want to sign out');
    expect((await sso()).status).toBe(303);
    const forged = await fetch(`${acmeUrl()}/logout`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ confirm: 'yes', csrf: 'guess' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(`${acmeUrl()}/logout`) },
    });
    expect(await forged.text()).toContain('Do you want to sign out');
    expect((await sso()).status).toBe(303);
    const done = await fetch(`${acmeUrl()}/logout`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({ confirm: 'yes', csrf: hiddenField(page, 'csrf') }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(`${acmeUrl()}/logout`) },
    });
    jar.store(done);
    expect(await done.text()).toContain('signed out');
    expect((await sso()).status).toBe(200);
  });

  it('alg none and HS256-with-the-public-key tokens are refused at userinfo', async () => {
    const tokens = await tokensFor();
    const [, payload] = tokens.access_token.split('.');
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwks = (await (await fetch(`${acmeUrl()}/certs`)).json()) as { keys: Array<{ kid: string; n: string }> };
    const none = `${enc({ alg: 'none', typ: 'at+jwt' })}.${payload}.`;
    const { createHmac, createPublicKey } = await import('node:crypto');
    const pem = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const hsInput = `${enc({ alg: 'HS256', typ: 'at+jwt', kid: jwks.keys[0].kid })}.${payload}`;
    const hs = `${hsInput}.${createHmac('sha256', pem).update(hsInput).digest('base64url')}`;
    for (const forged of [none, hs, `${tokens.access_token.slice(0, -4)}AAAA`, tokens.id_token]) {
      const res = await fetch(`${acmeUrl()}/userinfo`, { headers: { authorization: `Bearer ${forged}` } });
      expect(res.status).toBe(401);
    }
  });

  it('a disabled client, a revoked session, a deactivated user and a disabled tenant stop working at once', async () => {
    const check = async (access: string) => (await fetch(`${acmeUrl()}/userinfo`, { headers: { authorization: `Bearer ${access}` } })).status;
    let tokens = await tokensFor();
    updateClient(w.t.deps, cliOperator(), 'acme', 'web', { enabled: false });
    expect(await check(tokens.access_token)).toBe(401);
    updateClient(w.t.deps, cliOperator(), 'acme', 'web', { enabled: true });
    expect(await check(tokens.access_token)).toBe(200);

    const sid = JSON.parse(Buffer.from(tokens.access_token.split('.')[1], 'base64url').toString()).sid as string;
    revokeSessionById(w.t.deps, sid, 'admin', TEST_ACTOR);
    expect(await check(tokens.access_token)).toBe(401);

    tokens = await tokensFor();
    w.t.deps.sqlite.prepare('UPDATE users SET is_active = 0 WHERE id = ?').run(w.member.id);
    expect(await check(tokens.access_token)).toBe(401);
    const refused = await token('acme', { grant_type: 'refresh_token', client_id: 'web', refresh_token: tokens.refresh_token });
    expect(await refused.json()).toMatchObject({ error: 'invalid_grant' });
    w.t.deps.sqlite.prepare('UPDATE users SET is_active = 1 WHERE id = ?').run(w.member.id);

    tokens = await tokensFor();
    updateTenant(w.t.deps, 'acme', { status: 'disabled' }, TEST_ACTOR);
    expect(await check(tokens.access_token)).toBe(401);
    updateTenant(w.t.deps, 'acme', { status: 'active' }, TEST_ACTOR);
  });
});
