import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { setTenantMfaRequirement } from '../../src/mfa/tenant-requirement.ts';
import { ROOT } from '../support/processes.ts';
import { freePort, oidcWorld, PASSWORD, registerClient, type OidcWorld, authorizationUrl } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTEFACTS = path.join(ROOT, 'test-results', 'oidc');

/**
 * Issue 13 §3 in a real browser: headless Chromium with a CDP virtual authenticator (CTAP2, resident keys, user
 * verification). Register a passkey on the hosted account page, sign out, sign in with it (no password, no MFA
 * step even where the tenant requires MFA), remove it — after which it signs no one in.
 */
describe.skipIf(!existsSync(CHROMIUM))('passkeys on the hosted pages in headless Chromium', () => {
  let w: OidcWorld;
  let browser: Browser;
  let rp: Server;
  let callback: string;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let authenticatorId: string;

  beforeAll(async () => {
    // The public URL's host is the RP ID, and WebAuthn takes no IP address: the server is `localhost` here.
    w = await oidcWorld({}, { hostname: 'localhost' });
    const port = await freePort();
    rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><p>back at the app</p>'));
    await new Promise<void>((resolve) => rp.listen(port, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${port}/cb`;
    registerClient(w, 'acme', { name: 'Acme Web', type: 'public', clientId: 'web', redirectUris: [callback] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    context = await browser.newContext();
    page = await context.newPage();
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    }));
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => rp?.close(resolve));
    await w?.close();
  });

  const authUrl = () => authorizationUrl(w.base, 'acme', 'web', callback, 'passkey-state');

  /** The code at the callback, exchanged at the token endpoint: the subject of its ID token. */
  async function subjectOf(landed: string, verifier: string): Promise<string> {
    const code = new URL(landed).searchParams.get('code')!;
    const res = await fetch(`${w.base.replace('localhost', '127.0.0.1')}/t/acme/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code, redirect_uri: callback, code_verifier: verifier }),
    });
    expect(res.status).toBe(200);
    const idToken = ((await res.json()) as { id_token: string }).id_token;
    return JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()).sub as string;
  }

  const lastSignIn = () =>
    JSON.parse(
      w.t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.signed_in' ORDER BY seq DESC LIMIT 1").pluck().get(w.acme.id) as string,
    );
  const storedPasskeys = () => w.t.deps.sqlite.prepare('SELECT name, user_id FROM passkeys').all() as { name: string; user_id: string }[];

  async function signOut() {
    await page.goto(`${w.base}/t/acme/protocol/openid-connect/logout`);
    await Promise.all([page.waitForLoadState(), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${w.base}/t/acme/account`);
    expect(await page.getByRole('heading', { name: 'Not signed in' }).isVisible()).toBe(true);
  }

  it('register a passkey on the account page, sign out, sign in with it (it counts as MFA), remove it', async () => {
    // Signed in by password first: the account page goes by the SSO session.
    const first = authUrl();
    await page.goto(first.url);
    await page.getByLabel('Email address').fill(w.member.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${callback}?`)), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);

    await page.goto(`${w.base}/t/acme/account`);
    expect(await page.getByRole('heading', { name: 'Your account' }).isVisible()).toBe(true);
    expect(await page.textContent('body')).toContain('You have no passkeys yet.');
    await page.getByLabel('Name for a new passkey').fill('Laptop');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'added'), page.getByRole('button', { name: 'Add a passkey' }).click()]);
    expect(await page.getByRole('status').first().textContent()).toContain('Passkey added.');
    expect(await page.locator('.passkey-name').allTextContents()).toEqual(['Laptop']);
    await page.screenshot({ path: path.join(ARTEFACTS, 'hosted-account-passkeys.png'), fullPage: true });
    expect(storedPasskeys()).toEqual([{ name: 'Laptop', user_id: w.member.id }]);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0].isResidentCredential).toBe(true);

    // A passkey is both factors: even a tenant that requires MFA lets it in without the code step.
    setTenantMfaRequirement(w.t.deps, cliOperator(), 'acme', true);
    await signOut();
    const second = authUrl();
    await page.goto(second.url);
    expect(await page.getByRole('heading', { name: /^Sign in to/ }).isVisible()).toBe(true);
    const [assertion] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/login/passkey') && r.method() === 'POST'),
      page.waitForURL((u) => u.href.startsWith(`${callback}?`)),
      page.getByRole('button', { name: 'Use a passkey' }).click(),
    ]);
    expect(await subjectOf(page.url(), second.verifier)).toBe(w.member.id);
    expect(lastSignIn()).toMatchObject({ authType: 'oidc_sso', method: 'passkey', mfa: 'passkey', client_id: 'web' });

    // The same signed answer posted again (its form and CSRF cookie) starts nothing: a ceremony is used once.
    const posted = new URLSearchParams(assertion.postData()!);
    const replay = await fetch(`${w.base.replace('localhost', '127.0.0.1')}/t/acme/login/passkey`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `kimauth_csrf=${posted.get('csrf')}` },
      body: posted,
    });
    expect(replay.status).toBe(401);
    expect(replay.headers.get('location')).toBeNull();
    expect(await replay.text()).toContain('That passkey was not accepted');
    // Used challenges are remembered only while their page could still be posted.
    const spent = () => w.t.deps.sqlite.prepare('SELECT count(*) FROM passkey_spent_challenges').pluck().get();
    expect(spent()).toBe(2);
    setTenantMfaRequirement(w.t.deps, cliOperator(), 'acme', false);

    // Remove it (a plain form): gone from the page and the database, audited.
    await page.goto(`${w.base}/t/acme/account`);
    expect(await page.locator('.passkey-name').allTextContents()).toEqual(['Laptop']);
    expect(await page.textContent('body')).toMatch(/last used \d{4}-/);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('done') === 'removed'), page.getByRole('button', { name: 'Remove passkey Laptop' }).click()]);
    expect(await page.textContent('body')).toContain('You have no passkeys yet.');
    expect(storedPasskeys()).toEqual([]);
    const audit = w.t.deps.sqlite.prepare("SELECT event_type FROM audit_entries WHERE event_type LIKE 'passkey.%' ORDER BY seq").pluck().all();
    expect(audit).toEqual(['passkey.registered', 'passkey.used', 'passkey.removed']);

    // The authenticator still holds the credential, but the server no longer knows it.
    await signOut();
    await page.goto(authUrl().url);
    await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login/passkey')), page.getByRole('button', { name: 'Use a passkey' }).click()]);
    expect(await page.getByRole('alert').textContent()).toContain('That passkey was not accepted');
    expect(page.url().startsWith(callback)).toBe(false);
    // Many steps in one browser on a shared 2-core machine: a generous budget, every wait still on a condition.
  }, 120_000);

  it('without JavaScript the password path works and the passkey button only explains itself', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    const p = await noScript.newPage();
    await p.goto(authUrl().url);
    await p.getByRole('button', { name: 'Use a passkey' }).click();
    expect(await p.getByRole('alert').textContent()).toContain('Passkeys need JavaScript');
    await p.getByLabel('Email address').fill(w.member.email);
    await p.getByLabel('Password').fill(PASSWORD);
    await Promise.all([p.waitForURL((u) => u.href.startsWith(`${callback}?`)), p.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    await noScript.close();
  }, 60_000);
});
