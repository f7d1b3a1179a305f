import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, oidcWorld, PASSWORD, registerClient, type OidcWorld, authorizationUrl } from './support.ts';
import { setTenantBranding } from '../../src/oidc/provider-settings.ts';
import { cliOperator } from '../../src/authorization/principal.ts';
import { ROOT } from '../support/processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTEFACTS = path.join(ROOT, 'test-results', 'oidc');

/** The hosted sign-in page in a real browser (headless Chromium through playwright-core). */
describe.skipIf(!existsSync(CHROMIUM))('the hosted sign-in page in headless Chromium', () => {
  let w: OidcWorld;
  let browser: Browser;
  let rp: Server;
  let callback: string;

  beforeAll(async () => {
    w = await oidcWorld();
    const port = await freePort();
    rp = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>RP</title><p>back at the app</p>'));
    await new Promise<void>((resolve) => rp.listen(port, '127.0.0.1', resolve));
    callback = `http://127.0.0.1:${port}/cb`;
    registerClient(w, 'acme', { name: 'Acme Web', type: 'public', clientId: 'web', redirectUris: [callback] });
    setTenantBranding(w.t.deps, cliOperator(), 'acme', { displayName: 'Acme Workspace', accentColor: '#c0392b' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
    mkdirSync(ARTEFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => rp?.close(resolve));
    await w?.close();
  });

  const authUrl = () => authorizationUrl(w.base, 'acme', 'web', callback, 'browser-state');

  it('fill the form, land on the redirect URI with a code; SSO on the second visit; the cookie is HttpOnly and SameSite=Lax', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    const { url, verifier } = authUrl();
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Sign in to Acme Workspace' }).isVisible()).resolves.toBe(true);
    expect(await page.textContent('body')).toContain('to continue to Acme Web');
    await page.screenshot({ path: path.join(ARTEFACTS, 'hosted-login.png'), fullPage: true });
    await page.getByLabel('Email address').fill(w.member.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${callback}?`)), page.getByRole('button', { name: 'Sign in' }).click()]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('state')).toBe('browser-state');
    const code = landed.searchParams.get('code')!;
    const token = await fetch(`${w.base}/t/acme/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: 'web', code, redirect_uri: callback, code_verifier: verifier }),
    });
    expect(token.status).toBe(200);

    const cookies = await context.cookies(`${w.base}/t/acme/`);
    const sso = cookies.find((c) => c.name === 'kimauth_sso')!;
    expect(sso).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/t/acme' });

    await page.goto(authUrl().url);
    await page.waitForURL((u) => u.href.startsWith(`${callback}?code=`));
    await context.close();
  });

  it('works with the keyboard only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authUrl().url);
    // The email field has focus on load (autofocus): type, Tab to the password, Enter submits. Autofocus applies
    // after load, which a busy machine can delay past goto's return: wait for it rather than type into nothing.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'email');
    await page.keyboard.type(w.member.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await Promise.all([page.waitForURL((u) => u.href.startsWith(`${callback}?`)), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    await context.close();
  });

  it('a wrong password shows an error that does not say whether the email exists, announced to assistive technology', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(authUrl().url);
    await page.getByLabel('Email address').fill('ghost@acme.test');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    expect(await alert.textContent()).toBe('Invalid email or password');
    expect(await page.getByLabel('Email address').inputValue()).toBe('ghost@acme.test');
    await page.screenshot({ path: path.join(ARTEFACTS, 'hosted-login-error.png'), fullPage: true });
    await context.close();
  });
});
