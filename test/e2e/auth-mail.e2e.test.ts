import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildServer, type App } from '../../src/http/server.ts';
import { createMailOutboxWorker } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { ADMIN_EMAIL, createTestInstance, type TestInstance } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const FRONTEND = 'https://app.example.test';

/** The auth flows' mail, from the route through the outbox to a real SMTP server on loopback and back. */
describe('e2e: auth mail through a real SMTP server', () => {
  let sink: SmtpSink;
  let t: TestInstance;
  let app: App;
  const drain = () => createMailOutboxWorker(t.deps, createSmtpTransport(sink.url)).drain();
  const post = async (url: string, payload: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url, payload });
    await t.deps.background.idle();
    return res;
  };

  beforeEach(async () => {
    sink = await startSmtpSink();
    t = await createTestInstance({
      file: true,
      config: { emailEnabled: true, smtpUrl: sink.url, frontendUrl: FRONTEND, publicRegistration: true },
    });
    app = await buildServer(t.deps);
  });
  afterEach(async () => {
    await app.close();
    t.close();
    await sink.stop();
  });

  it('mails the registrant that the registration was received', async () => {
    const res = await post('/auth/register', { email: 'new@example.com', password: 'long-enough-1', fullName: 'New Person' });
    expect(res.statusCode).toBe(201);
    expect(await drain()).toMatchObject({ sent: 1 });
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0].envelopeTo).toEqual(['new@example.com']);
    expect(sink.messages[0].text).toMatch(/New Person/);
  });

  it('keeps a reset link through an SMTP outage, delivers it once when SMTP is back, and the link works', async () => {
    await sink.stop();
    const requested = await post('/auth/password-reset/request', { email: ADMIN_EMAIL, accountType: '' });
    expect(requested.statusCode).toBe(200);
    expect(requested.json().data).not.toHaveProperty('token');

    expect(await drain()).toMatchObject({ sent: 0, retried: 1 });
    await sink.start();
    expect(await drain()).toMatchObject({ sent: 0 }); // not due yet: backoff
    t.clock.advance(31_000);
    expect(await drain()).toMatchObject({ sent: 1 });
    expect(await drain()).toMatchObject({ sent: 0 });
    expect(sink.messages).toHaveLength(1);

    const mail = sink.messages[0];
    expect(mail.envelopeTo).toEqual([ADMIN_EMAIL]);
    const link = new RegExp(`${FRONTEND.replace(/\./g, '\\.')}/reset-password\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
    expect(link, mail.text).not.toBeNull();

    const confirmed = await post('/auth/password-reset/confirm', { token: link![1], newPassword: 'brand-new-password' });
    expect(confirmed.statusCode).toBe(200);
    const login = await post('/auth/login', { email: ADMIN_EMAIL, password: 'brand-new-password', accountType: '' });
    expect(login.statusCode).toBe(200);
    expect((await post('/auth/password-reset/confirm', { token: link![1], newPassword: 'another-password' })).statusCode).toBe(400);

    expect(await drain()).toMatchObject({ sent: 1 });
    expect(sink.messages[1].envelopeTo).toEqual([ADMIN_EMAIL]);
    expect(sink.messages[1].subject).not.toBe(mail.subject);
  });
});
