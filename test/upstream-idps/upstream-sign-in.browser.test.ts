import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { addUpstreamIdp } from '../../src/upstream-idps/providers.ts';
import { CookieJar, freePort, get, oidcWorld, registerClient, type OidcWorld } from '../oidc/support.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { startStandInOp, type StandInOp } from './stand-in-op.ts';
import { ROOT } from '../support/processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTEFACTS = path.join(ROOT, 'test-results', 'upstream-idps');

/**
 * Issue 13 §4 end to end: the hosted page of kimauth in headless Chromium, a real OpenID Provider (node-oidc-provider)
 * on loopback behind its "Continue with …" link, and the relying party's callback at the end.
 */
describe.skipIf(!existsSync(CHROMIUM))('sign-in through an upstream OpenID provider, in headless Chromium', () => {
  let w: OidcWorld;
  let op: StandInOp;
  let forger: StandInOp;
  let browser: Browser;
  let rp: Server;
  let callback: string;
  /** Every outbound request kimauth made (ARCHITECTURE rule 11: through deps.http, never the global fetch). */
  const outbound: string[] = [];

  beforeAll(async () => {
    w = await oidcWorld();
    const http = w.t.deps.http;
    w.t.deps.http = (input, init) => {
      outbound.push(String(input));
      return http(input, init);
    };
    const port = await freePort();
    rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><p>back at the app</p>'));
    await new Promise<void>((resolve) => rp.listen(port, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${port}/cb`;
    for (const tenant of ['acme', 'beta']) registerClient(w, tenant, { name: 'Web', type: 'public', clientId: 'web', redirectUris: [callback] });

    const back = (tenant: string, idp: string) => `${w.base}/t/${tenant}/login/upstream/${idp}/callback`;
    op = await startStandInOp({ redirectUris: [back('acme', 'corp'), back('beta', 'corp')] });
    forger = await startStandInOp({ redirectUris: [back('acme', 'forged')], forgeJwks: true });
    const closedPort = await freePort();
    const add = (tenant: string, name: string, issuer: string, extra: Parameters<typeof addUpstreamIdp>[2] extends infer I ? Partial<I> : never = {}) =>
      addUpstreamIdp(w.t.deps, tenant, { name, issuer, clientId: 'kimauth', clientSecret: op.clientSecret, ...extra }, cliOperator());
    add('acme', 'corp', op.issuer, { displayName: 'Corp SSO', linkByVerifiedEmail: true });
    add('acme', 'forged', forger.issuer, { displayName: 'Forged' });
    add('beta', 'corp', op.issuer, { displayName: 'Corp SSO', allowedDomains: ['beta.test'], linkByVerifiedEmail: true });
    add('beta', 'down', `http://127.0.0.1:${closedPort}`, { displayName: 'Down Inc' });

    for (const [id, claims] of Object.entries({
      'sub-newbie': { email: 'newbie@acme.test', email_verified: true, name: 'Nora Newbie' },
      'sub-jane-unverified': { email: w.member.email, email_verified: false },
      'sub-jane': { email: w.member.email, email_verified: true },
      'sub-stranger-unverified': { email: 'stranger@acme.test', email_verified: false },
      'sub-mallory': { email: 'mallory@evil.test', email_verified: true },
      'sub-bob': { email: w.betaMember.email, email_verified: true },
    })) {
      op.accounts.set(id, claims);
      forger.accounts.set(id, claims);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => rp?.close(resolve));
    await op?.close();
    await forger?.close();
    await w?.close();
  });

  const authUrl = (tenant: string) => {
    const verifier = randomBytes(32).toString('base64url');
    const u = new URL(`${w.base}/t/${tenant}/protocol/openid-connect/auth`);
    u.search = new URLSearchParams({
      response_type: 'code',
      client_id: 'web',
      redirect_uri: callback,
      scope: 'openid email',
      state: 'rp-state',
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { url: u.href, verifier };
  };

  /** kimauth's page → "Continue with …" → the provider's login form (any password) → wherever the flow ends. */
  async function throughProvider(page: Page, tenant: string, button: string, login: string, provider: StandInOp = op): Promise<string> {
    const { url, verifier } = authUrl(tenant);
    await page.goto(url);
    if (login === 'sub-newbie' && provider === op) await page.screenshot({ path: path.join(ARTEFACTS, 'hosted-login-upstream.png'), fullPage: true });
    await Promise.all([page.waitForURL((u) => u.href.startsWith(provider.issuer)), page.getByRole('link', { name: `Continue with ${button}` }).click()]);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('anything');
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(`${callback}?`) || u.href.startsWith(`${w.base}/t/${tenant}/login/upstream/`)),
      page.getByRole('button', { name: 'Sign-in' }).click(),
    ]);
    return verifier;
  }

  async function idTokenSub(page: Page, tenant: string, verifier: string): Promise<string> {
    const landed = new URL(page.url());
    expect(landed.origin + landed.pathname).toBe(callback);
    expect(landed.searchParams.get('state')).toBe('rp-state');
    const res = await fetch(`${w.base}/t/${tenant}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code: landed.searchParams.get('code')!, redirect_uri: callback, code_verifier: verifier }),
    });
    expect(res.status).toBe(200);
    return decodeJwt(((await res.json()) as { id_token: string }).id_token).sub!;
  }

  const sql = <T>(query: string, ...args: unknown[]) => w.t.deps.sqlite.prepare(query).get(...args) as T;
  const usersWithEmail = (email: string) => sql<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE email = ?', email).n;
  const lastFailure = (tenantId: string) =>
    JSON.parse(sql<{ payload: string }>("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.sign_in_failed' ORDER BY seq DESC LIMIT 1", tenantId).payload) as Record<string, unknown>;

  it('a new account: the page (without JavaScript) links to the provider; kimauth creates the user, a member of the tenant with authProvider sso, and the app gets its code', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const verifier = await throughProvider(page, 'acme', 'Corp SSO', 'sub-newbie');
    const sub = await idTokenSub(page, 'acme', verifier);

    const user = sql<{ id: string; email: string; full_name: string; auth_provider: string; approval_status: string; is_active: number }>('SELECT * FROM users WHERE email = ?', 'newbie@acme.test');
    expect(user).toMatchObject({ id: sub, full_name: 'Nora Newbie', auth_provider: 'sso', approval_status: 'APPROVED', is_active: 1 });
    expect(sql('SELECT role, is_active FROM company_memberships WHERE user_id = ? AND company_id = ?', sub, w.acme.id)).toEqual({ role: 'SUBMITTER', is_active: 1 });
    expect(sql('SELECT provider_name, issuer, subject FROM upstream_idp_links WHERE user_id = ?', sub)).toEqual({ provider_name: 'corp', issuer: op.issuer, subject: 'sub-newbie' });
    const signedIn = JSON.parse(sql<{ payload: string }>("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.signed_in' ORDER BY seq DESC LIMIT 1", w.acme.id).payload);
    expect(signedIn).toMatchObject({ method: 'upstream_idp', idp: 'corp', via: 'created', client_id: 'web' });
    expect(sql("SELECT COUNT(*) AS n FROM audit_entries WHERE tenant_id = ? AND event_type IN ('user.created', 'user.upstream_idp_linked', 'membership.upserted') AND target_id = ?", w.acme.id, sub)).toEqual({ n: 3 });
    // Discovery, the code redemption, the keys that verified the ID token, userinfo for the email: all through deps.http.
    for (const path of ['/.well-known/openid-configuration', '/token', '/jwks', '/me']) expect(outbound).toContain(`${op.issuer}${path}`);

    // The second time the link (provider + sub) answers: the same user, no second account.
    const again = await browser.newContext({ javaScriptEnabled: false });
    const second = await again.newPage();
    expect(await idTokenSub(second, 'acme', await throughProvider(second, 'acme', 'Corp SSO', 'sub-newbie'))).toBe(sub);
    expect(usersWithEmail('newbie@acme.test')).toBe(1);
    await again.close();
    await context.close();
  });

  it('an existing user is linked by a verified email only: the unverified claim of the same address is refused, then the verified one signs jane in', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await throughProvider(page, 'acme', 'Corp SSO', 'sub-jane-unverified');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Account not linked');
    expect(await page.getByRole('alert').textContent()).toContain('not linked to an account in Acme');
    expect(sql('SELECT COUNT(*) AS n FROM upstream_idp_links WHERE user_id = ?', w.member.id)).toEqual({ n: 0 });
    expect(lastFailure(w.acme.id)).toMatchObject({ reason: 'not_linked', idp: 'corp' });
    await context.close();

    // An unverified address that no account has: no account is made with it either.
    const strangerContext = await browser.newContext();
    const strangerPage = await strangerContext.newPage();
    await throughProvider(strangerPage, 'acme', 'Corp SSO', 'sub-stranger-unverified');
    expect(await strangerPage.getByRole('heading', { level: 1 }).textContent()).toBe('Email address not verified');
    expect(usersWithEmail('stranger@acme.test')).toBe(0);
    await strangerContext.close();

    const verified = await browser.newContext();
    const jane = await verified.newPage();
    const verifier = await throughProvider(jane, 'acme', 'Corp SSO', 'sub-jane');
    expect(await idTokenSub(jane, 'acme', verifier)).toBe(w.member.id);
    expect(sql('SELECT subject, provider_name FROM upstream_idp_links WHERE user_id = ?', w.member.id)).toEqual({ subject: 'sub-jane', provider_name: 'corp' });
    expect(usersWithEmail(w.member.email)).toBe(1);
    // Linking does not change how the account was made.
    expect(sql('SELECT auth_provider FROM users WHERE id = ?', w.member.id)).toEqual({ auth_provider: 'password' });
    await verified.close();
  });

  it('a verified address outside the allowed domains is refused with a clear page, and no account is made', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await throughProvider(page, 'beta', 'Corp SSO', 'sub-mallory');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('This account may not sign in here');
    await page.screenshot({ path: path.join(ARTEFACTS, 'upstream-domain-refused.png'), fullPage: true });
    expect(await page.getByRole('alert').textContent()).toContain('accepts Corp SSO accounts of beta.test only, and mallory@evil.test is not one');
    expect(usersWithEmail('mallory@evil.test')).toBe(0);
    expect(lastFailure(w.beta.id)).toMatchObject({ reason: 'domain_not_allowed', idp: 'corp' });
    await context.close();
  });

  it('an ID token not signed by a key of the provider’s JWKS is refused: no user, no link, no code', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await throughProvider(page, 'acme', 'Forged', 'sub-newbie', forger);
    expect(new URL(page.url()).pathname).toBe('/t/acme/login/upstream/forged/callback');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in could not be verified');
    expect(await page.textContent('body')).not.toMatch(/at \w+ \(|Error:/);
    expect(sql("SELECT COUNT(*) AS n FROM upstream_idp_links l JOIN upstream_idps p ON p.id = l.idp_id WHERE p.name = 'forged'")).toEqual({ n: 0 });
    expect(lastFailure(w.acme.id)).toMatchObject({ reason: 'upstream_token_invalid', idp: 'forged', detail: 'JWT signature verification failed' });
    await context.close();
  });

  it('a user with an authenticator still proves the second factor after the provider, then lands at the app', async () => {
    const { secret } = await enrolTotp(w.t.deps, w.betaMember, () => undefined);
    const context = await browser.newContext();
    const page = await context.newPage();
    const verifier = await throughProvider(page, 'beta', 'Corp SSO', 'sub-bob');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Two-step verification');
    expect((await context.cookies(`${w.base}/t/beta/`)).some((c) => c.name === 'kimauth_sso')).toBe(false);
    await page.getByLabel('Authentication code').fill(codeNow(w.t.deps, secret, 30));
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${callback}?`)), page.getByRole('button', { name: 'Verify' }).click()]);
    expect(await idTokenSub(page, 'beta', verifier)).toBe(w.betaMember.id);
    await context.close();
  });

  it('a provider that does not answer is a clear page, not a stack trace', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authUrl('beta').url);
    const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('link', { name: 'Continue with Down Inc' }).click()]);
    expect(response?.status()).toBe(503);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Sign-in provider unavailable');
    expect(await page.getByRole('alert').textContent()).toContain('Down Inc is not answering right now');
    await context.close();
  });

  it('a sign-in cancelled at the provider (error=access_denied) is a page saying so, and its state is spent', async () => {
    const jar = new CookieJar();
    const page = await (await get(authUrl('acme').url, jar)).text();
    const href = /<a href="([^"]+)">Continue with Corp SSO<\/a>/.exec(page)![1].replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    const started = await get(href, jar);
    expect(started.status).toBe(303);
    const state = new URL(started.headers.get('location')!).searchParams.get('state')!;
    const answer = `${w.base}/t/acme/login/upstream/corp/callback?${new URLSearchParams({ error: 'access_denied', state, iss: op.issuer })}`;
    const cancelled = await get(answer, jar);
    expect(cancelled.status).toBe(401);
    expect(await cancelled.text()).toContain('Corp SSO did not sign you in (access_denied)');
    const replay = await fetch(answer, { headers: { cookie: `kimauth_upstream=${state}` } });
    expect(replay.status).toBe(400);
  });

  it("a sign-in that outlives the application's request makes no account: the page says it expired", async () => {
    const jar = new CookieJar();
    const started = w.t.clock.nowMs();
    try {
      const page = await (await get(authUrl('acme').url, jar)).text();
      const href = /<a href="([^"]+)">Continue with Corp SSO<\/a>/.exec(page)![1].replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
      w.t.clock.advance(9 * 60_000);
      const redirect = await get(href, jar);
      const state = new URL(redirect.headers.get('location')!).searchParams.get('state')!;
      w.t.clock.advance(2 * 60_000);
      const usersBefore = sql<{ n: number }>('SELECT COUNT(*) AS n FROM users').n;
      const late = await get(`${w.base}/t/acme/login/upstream/corp/callback?${new URLSearchParams({ code: 'unused', state, iss: op.issuer })}`, jar);
      expect(late.status).toBe(400);
      expect(await late.text()).toContain('This sign-in took too long');
      expect(sql<{ n: number }>('SELECT COUNT(*) AS n FROM users').n).toBe(usersBefore);
    } finally {
      w.t.clock.set(new Date(started));
    }
  });

  it("refuses an answer that this browser did not ask for (no state cookie, or another state)", async () => {
    const res = await fetch(`${w.base}/t/acme/login/upstream/corp/callback?code=abc&state=not-mine&iss=${encodeURIComponent(op.issuer)}`, {
      headers: { cookie: 'kimauth_upstream=another-state' },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('does not belong to a sign-in started in this browser');
  });
});
