import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliOperator } from '../../src/authorization/principal.ts';
import { setTenantMagicLinks } from '../../src/magic-links/tenant-setting.ts';
import { createMailOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';
import { CookieJar, get, hiddenField, oidcWorld, registerClient, type OidcWorld, pkceAuthorizationRequest } from './support.ts';

const insecure = { execute: [oidc.allowInsecureRequests] };
const redirectUri = 'http://127.0.0.1:9/cb';

/**
 * Issue 13 §2 on the hosted page: "email me a link" when the tenant enables it, mailed through the outbox to a
 * real SMTP server on loopback; the link lands on a hosted page whose button completes the sign-in (MFA applies).
 */
describe('magic links on the hosted sign-in page', () => {
  let sink: SmtpSink;
  let w: OidcWorld;
  let conf: oidc.Configuration;
  const drain = () => createMailOutboxWorker(w.t.deps, createSmtpTransport(sink.url)).drain();

  beforeAll(async () => {
    sink = await startSmtpSink();
    w = await oidcWorld({ emailEnabled: true, smtpUrl: sink.url, frontendUrl: 'https://app.example.test' });
    registerClient(w, 'acme', { name: 'Acme Web', type: 'public', clientId: 'web', redirectUris: [redirectUri] });
    conf = await oidc.discovery(new URL(`${w.base}/t/acme`), 'web', undefined, oidc.None(), insecure);
  });
  afterAll(async () => {
    await w.close();
    await sink.stop();
  });

  async function loginPage() {
    const { url, verifier, state } = await pkceAuthorizationRequest(conf, redirectUri);
    const jar = new CookieJar();
    const res = await get(url.href, jar);
    expect(res.status).toBe(200);
    return { page: await res.text(), jar, verifier, state };
  }

  async function post(jar: CookieJar, path: string, fields: Record<string, string>) {
    const action = `${w.base}/t/acme${path}`;
    const res = await fetch(action, { method: 'POST', redirect: 'manual', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.header(action) } });
    jar.store(res);
    await w.t.deps.background.idle();
    return res;
  }

  const askForLink = async (email: string) => {
    const start = await loginPage();
    const res = await post(start.jar, '/login/magic-link', { request: hiddenField(start.page, 'request'), csrf: hiddenField(start.page, 'csrf'), email, password: '' });
    return { ...start, res };
  };

  /** The hosted link in the last mail to `email`. */
  const mailedLink = (email: string) => {
    const mail = sink.messages.filter((m) => m.envelopeTo.includes(email)).at(-1)!;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/t\/acme\/login\/magic-link\?token=[A-Za-z0-9_-]+&request=[^\s"<]+)/.exec(mail.text);
    expect(m, mail.text).not.toBeNull();
    return m![1];
  };

  it('is not offered until the tenant enables it', async () => {
    const { page, jar } = await loginPage();
    expect(page).not.toContain('Email me a sign-in link');
    const res = await post(jar, '/login/magic-link', { request: hiddenField(page, 'request'), csrf: hiddenField(page, 'csrf'), email: w.member.email });
    expect(res.status).toBe(404);
    expect(await drain()).toMatchObject({ sent: 0 });
  });

  it('mails a hosted link; opening it spends nothing; its button signs in once and returns with a code', async () => {
    setTenantMagicLinks(w.t.deps, cliOperator(), 'acme', true);
    const { page, res, verifier, state } = await (async () => {
      const first = await loginPage();
      expect(first.page).toMatch(/<button type="submit" class="secondary" formaction="[^"]*login&#x2F;magic-link" formnovalidate>Email me a sign-in link<\/button>/);
      const r = await post(first.jar, '/login/magic-link', { request: hiddenField(first.page, 'request'), csrf: hiddenField(first.page, 'csrf'), email: w.member.email, password: '' });
      return { ...first, res: r };
    })();
    expect(page).toContain('Sign in');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your email');
    expect(await drain()).toMatchObject({ sent: 1 });
    const link = mailedLink(w.member.email);

    // A mail scanner fetching the link signs no one in.
    const browser = new CookieJar();
    const landing = await get(link, browser);
    expect(landing.status).toBe(200);
    const landingPage = await landing.text();
    expect(landingPage).toContain('Continue signing in');
    expect(browser.has('kimauth_sso')).toBe(false);
    expect(await (await get(link, new CookieJar())).text()).toContain('Continue signing in');

    const fields = { request: hiddenField(landingPage, 'request'), csrf: hiddenField(landingPage, 'csrf'), token: hiddenField(landingPage, 'token') };
    const done = await post(browser, '/login/magic-link/verify', fields);
    expect(done.status, await done.clone().text()).toBe(303);
    expect(browser.has('kimauth_sso')).toBe(true);
    const tokens = await oidc.authorizationCodeGrant(conf, new URL(done.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()!.sub).toBe(w.member.id);
    const signedIn = w.t.deps.sqlite
      .prepare("SELECT payload FROM audit_entries WHERE tenant_id = ? AND event_type = 'user.signed_in' ORDER BY seq DESC LIMIT 1")
      .pluck()
      .get(w.acme.id) as string;
    expect(JSON.parse(signedIn)).toMatchObject({ authType: 'oidc_sso', method: 'magic_link', client_id: 'web' });

    // Single use: the link opened again (a fresh CSRF cookie) signs no one in.
    const again = new CookieJar();
    const againPage = await (await get(link, again)).text();
    const replay = await post(again, '/login/magic-link/verify', { ...fields, csrf: hiddenField(againPage, 'csrf') });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('invalid, expired or already used');
  });

  it('an unknown address gets the same page and no mail', async () => {
    const before = sink.messages.length;
    const { res } = await askForLink('nobody-here@acme.test');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your email');
    expect(await drain()).toMatchObject({ sent: 0 });
    expect(sink.messages.length).toBe(before);
  });

  it('without the CSRF cookie the request is refused and nothing is mailed', async () => {
    const { page } = await loginPage();
    const res = await post(new CookieJar(), '/login/magic-link', { request: hiddenField(page, 'request'), csrf: hiddenField(page, 'csrf'), email: w.member.email });
    expect(res.status).toBe(403);
    expect(await drain()).toMatchObject({ sent: 0 });
  });

  it('MFA still applies: an enrolled user gets the code step after the link', async () => {
    const { secret } = await enrolTotp(w.t.deps, w.betaMember, () => undefined);
    // bob is a member of beta only: make him one of acme too, the tenant with links.
    const { upsertCompanyMembership } = await import('../../src/memberships/memberships.ts');
    upsertCompanyMembership(w.t.deps, cliOperator(), w.acme.id, { userId: w.betaMember.id, role: 'SUBMITTER' });
    const { res, verifier, state } = await askForLink(w.betaMember.email);
    expect(res.status).toBe(200);
    expect(await drain()).toMatchObject({ sent: 1 });
    const browser = new CookieJar();
    const landingPage = await (await get(mailedLink(w.betaMember.email), browser)).text();
    const step = await post(browser, '/login/magic-link/verify', { request: hiddenField(landingPage, 'request'), csrf: hiddenField(landingPage, 'csrf'), token: hiddenField(landingPage, 'token') });
    expect(step.status).toBe(200);
    const stepPage = await step.text();
    expect(stepPage).toContain('Two-step verification');
    expect(browser.has('kimauth_sso')).toBe(false);
    const ok = await post(browser, '/login/mfa', { request: hiddenField(stepPage, 'request'), csrf: hiddenField(stepPage, 'csrf'), mfa_token: hiddenField(stepPage, 'mfa_token'), code: codeNow(w.t.deps, secret, 30) });
    expect(ok.status).toBe(303);
    const tokens = await oidc.authorizationCodeGrant(conf, new URL(ok.headers.get('location')!), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.claims()!.sub).toBe(w.betaMember.id);
  });
});
