import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createUser } from '../../src/identity/users.ts';
import { MAGIC_LINK_TTL_MS } from '../../src/magic-links/magic-links.ts';
import { MAX_LINKS_PER_WINDOW } from '../../src/magic-links/request-limit.ts';
import { createMailOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { codeNow, enrolTotp } from '../support/mfa.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const FRONTEND = 'https://app.example.test';
const LINK = new RegExp(`${FRONTEND.replace(/\./g, '\\.')}/magic-link\\?token=([A-Za-z0-9_-]+)`);

/** Magic links from the route through the outbox to a real SMTP server on loopback, and back. */
describe('magic links through a real SMTP server', () => {
  let sink: SmtpSink;
  let t: TestInstance;
  let app: App;
  const drain = () => createMailOutboxWorker(t.deps, createSmtpTransport(sink.url)).drain();
  const post = async (url: string, payload: Record<string, unknown>, ip = '127.0.0.1') => {
    const res = await app.inject({ method: 'POST', url, payload, remoteAddress: ip });
    await t.deps.background.idle();
    return res;
  };
  /** Requests a link for `email` and returns the token of the mail that arrived. */
  const mailedToken = async (email: string): Promise<string> => {
    const before = sink.messages.length;
    expect((await post('/auth/magic-link/request', { email })).statusCode).toBe(200);
    expect(await drain()).toMatchObject({ sent: 1 });
    const mail = sink.messages[before];
    expect(mail.envelopeTo).toEqual([email]);
    const match = LINK.exec(mail.text);
    expect(match, mail.text).not.toBeNull();
    expect(mail.html).toContain(match![1]);
    return match![1];
  };
  let n = 0;
  const newUser = async () => {
    n += 1;
    return createUser(t.deps, { email: `user${n}@example.com`, fullName: `User ${n}`, password: 'user-password-1', approvalStatus: 'APPROVED', isActive: true }, TEST_ACTOR);
  };

  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await createTestInstance({ file: true, config: { emailEnabled: true, smtpUrl: sink.url, frontendUrl: FRONTEND, rateLimitPerMinute: 10_000 } });
    app = await buildServer(t.deps);
  });
  beforeEach(() => {
    t.clock.advance(60 * 60_000); // a quiet hour between tests: no per-address limit carries over
  });
  afterAll(async () => {
    await app.close();
    t.close();
    await sink.stop();
  });

  it('mails a link to {KIMAUTH_FRONTEND_URL}/magic-link?token=… that signs in once', async () => {
    const user = await newUser();
    const token = await mailedToken(user.email);
    expect(sink.messages.at(-1)!.subject).toMatch(/sign-in link/);
    expect(sink.messages.at(-1)!.text).toMatch(/expires on 2026-/);

    const first = await post('/auth/magic-link/verify', { token });
    expect(first.statusCode, first.body).toBe(200);
    expect(Object.keys(first.json().data).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${first.json().data.accessToken}` } });
    expect(me.json().data.email).toBe(user.email);

    const again = await post('/auth/magic-link/verify', { token });
    expect(again.statusCode).toBe(400);
    expect(again.json().error).toEqual({ code: 'validation_error', message: 'This sign-in link is invalid, expired or already used' });

    const audit = t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'user.signed_in' ORDER BY id DESC LIMIT 1").get() as { payload: string };
    expect(JSON.parse(audit.payload)).toMatchObject({ method: 'magic_link' });
    // Only the hash is kept.
    const stored = t.deps.sqlite.prepare('SELECT token_hash FROM magic_link_tokens').all() as { token_hash: string }[];
    expect(stored.map((r) => r.token_hash)).not.toContain(token);
  });

  it('expires after 15 minutes, and a newer link replaces the older one', async () => {
    const user = await newUser();
    const expiring = await mailedToken(user.email);
    t.clock.advance(MAGIC_LINK_TTL_MS);
    expect((await post('/auth/magic-link/verify', { token: expiring })).statusCode).toBe(400);

    const older = await mailedToken(user.email);
    const newer = await mailedToken(user.email);
    expect((await post('/auth/magic-link/verify', { token: older })).statusCode).toBe(400);
    t.clock.advance(MAGIC_LINK_TTL_MS - 1_000);
    expect((await post('/auth/magic-link/verify', { token: newer })).statusCode).toBe(200);
  });

  it('answers an unknown address exactly as a known one, and mails nothing', async () => {
    const user = await newUser();
    const known = await post('/auth/magic-link/request', { email: user.email });
    const unknown = await post('/auth/magic-link/request', { email: 'nobody@example.com' });
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(unknown.body).toBe(known.body);
    expect(unknown.json()).toEqual({ success: true, data: { status: 'ok' } });
    const headers = (r: typeof known) => Object.keys(r.headers).filter((h) => h !== 'date' && h !== 'x-ratelimit-remaining').sort();
    expect(headers(unknown)).toEqual(headers(known));
    const before = sink.messages.length;
    expect(await drain()).toMatchObject({ sent: 1 });
    expect(sink.messages.slice(before).map((m) => m.envelopeTo)).toEqual([[user.email]]);
    // A malformed address is refused at once: it depends on no account.
    expect((await post('/auth/magic-link/request', { email: 'not-an-address' })).statusCode).toBe(400);
  });

  it(`mails one address at most ${MAX_LINKS_PER_WINDOW} links per 15 minutes, still answering ok`, async () => {
    const user = await newUser();
    for (let i = 0; i < MAX_LINKS_PER_WINDOW + 2; i++) {
      expect((await post('/auth/magic-link/request', { email: user.email }, `10.0.0.${i + 1}`)).statusCode).toBe(200);
    }
    expect(await drain()).toMatchObject({ sent: MAX_LINKS_PER_WINDOW });
    t.clock.advance(15 * 60_000);
    await post('/auth/magic-link/request', { email: user.email });
    expect(await drain()).toMatchObject({ sent: 1 });
  });

  it('still asks for the second factor when the user has MFA', async () => {
    const user = await newUser();
    const { secret } = await enrolTotp(t.deps, user, (ms) => t.clock.advance(ms));
    const token = await mailedToken(user.email);
    const answer = await post('/auth/magic-link/verify', { token });
    expect(answer.json().data).toMatchObject({ mfaRequired: true, methods: ['totp', 'recovery_code'] });
    expect(answer.json().data).not.toHaveProperty('accessToken');
    const done = await post('/auth/mfa/verify', { mfaToken: answer.json().data.mfaToken, code: codeNow(t.deps, secret) });
    expect(done.statusCode, done.body).toBe(200);
    const audit = t.deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'user.signed_in' ORDER BY id DESC LIMIT 1").get() as { payload: string };
    expect(JSON.parse(audit.payload)).toMatchObject({ method: 'magic_link', mfa: 'totp' });
  });
});
