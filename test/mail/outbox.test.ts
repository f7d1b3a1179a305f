import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { createLogger } from '../../src/app/logger.ts';
import { enqueueMail, listOutbox, openMailData, requeueMail } from '../../src/mail/outbox.ts';
import { createMailOutboxWorker, MAIL_RETRY_POLICY, retryDelayMs } from '../../src/mail/outbox-worker.ts';
import { createSmtpTransport, type MailTransport } from '../../src/mail/transport.ts';
import { mailOutbox } from '../../src/mail/tables.ts';
import { createTestInstance, TEST_ACTOR, type TestInstance } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

const RESET_URL = 'http://localhost:3000/reset-password?token=one-time-secret';

function queueReset(deps: Deps, to = 'jane@example.com'): string {
  return deps.sqlite.transaction(() => enqueueMail(deps, { template: 'password-reset', to, data: { fullName: 'Jane', resetUrl: RESET_URL } }))()!;
}

function row(deps: Deps, id: string) {
  return listOutbox(deps, { limit: 1000 }).find((r) => r.id === id)!;
}

describe('mail outbox → real SMTP server', () => {
  let sink: SmtpSink;
  let instance: TestInstance;
  let transport: MailTransport;

  beforeAll(async () => {
    sink = await startSmtpSink();
    instance = await createTestInstance({
      file: true,
      config: { emailEnabled: true, smtpUrl: sink.url, emailFrom: 'no-reply@acme.example', emailAppName: 'Acme ID' },
    });
    transport = createSmtpTransport(sink.url);
  });
  afterAll(async () => {
    transport.close();
    instance.close();
    await sink.stop();
  });
  afterEach(async () => {
    await sink.start();
    // Each test starts with an empty outbox and an empty mailbox.
    instance.deps.db.delete(mailOutbox).run();
    sink.messages.length = 0;
  });

  it('delivers a message queued in a transaction to the recipient, with its link, then empties its data', async () => {
    const { deps } = instance;
    const id = queueReset(deps);
    const worker = createMailOutboxWorker(deps, transport);

    expect(await worker.drain()).toEqual({ sent: 1, retried: 0, failed: 0 });

    expect(sink.messages).toHaveLength(1);
    const [mail] = sink.messages;
    expect(mail.envelopeTo).toEqual(['jane@example.com']);
    expect(mail.from).toBe('"Acme ID" <no-reply@acme.example>');
    expect(mail.subject).toBe('Reset your Acme ID password');
    expect(mail.text).toContain(RESET_URL);
    expect(mail.html).toContain('Reset password</a>');
    expect(mail.messageId).toBe(`<${id}@acme.example>`);

    const sent = row(deps, id);
    expect(sent).toMatchObject({ status: 'sent', attempts: 1, lastError: null, data: {} });
    expect(sent.sentAt).toEqual(deps.clock.now());
    expect(JSON.stringify(sent)).not.toContain('one-time-secret');

    // Sent is sent: a later drain sends nothing.
    instance.clock.advance(60 * 60_000);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(sink.messages).toHaveLength(1);
  });

  it('queues nothing when the change that caused the mail rolls back', async () => {
    const { deps } = instance;
    expect(() =>
      deps.sqlite.transaction(() => {
        enqueueMail(deps, { template: 'account-approved', to: 'rolled@example.com', data: {} });
        throw new Error('the change failed');
      })(),
    ).toThrow('the change failed');
    expect(listOutbox(deps)).toEqual([]);
    expect(await createMailOutboxWorker(deps, transport).drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(sink.messages).toHaveLength(0);
  });

  it('keeps the message through an SMTP outage, backs off, and delivers it exactly once when the server is back', async () => {
    const { deps, clock } = instance;
    const worker = createMailOutboxWorker(deps, transport);
    const id = queueReset(deps);
    await sink.stop();

    expect(await worker.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
    let waiting = row(deps, id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1 });
    // Kept for the next attempt, sealed (never in clear in the row).
    expect(JSON.stringify(waiting.data)).not.toContain(RESET_URL);
    expect(openMailData(deps, id, JSON.stringify(waiting.data))).toMatchObject({ resetUrl: RESET_URL });
    expect(waiting.lastError).toMatch(/ECONNREFUSED/);
    expect(waiting.nextAttemptAt.getTime()).toBe(clock.nowMs() + 30_000);

    // Not due yet: nothing is tried before the backoff has passed.
    clock.advance(29_000);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });

    clock.advance(1_000);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
    waiting = row(deps, id);
    expect(waiting.attempts).toBe(2);
    expect(waiting.nextAttemptAt.getTime()).toBe(clock.nowMs() + 60_000);

    await sink.start();
    clock.advance(60_000);
    expect(await worker.drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    clock.advance(60 * 60_000);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });

    expect(sink.messages.map((m) => m.messageId)).toEqual([expect.stringContaining(id)]);
    expect(sink.messages[0].text).toContain(RESET_URL);
    expect(row(deps, id)).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('marks a message failed after the last attempt; requeueing it (audited) delivers it', async () => {
    const { deps, clock } = instance;
    const worker = createMailOutboxWorker(deps, transport);
    const id = queueReset(deps);
    await sink.stop();

    for (let attempt = 1; attempt < MAIL_RETRY_POLICY.maxAttempts; attempt++) {
      expect(await worker.drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
      clock.advance(retryDelayMs(attempt));
    }
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(row(deps, id)).toMatchObject({ status: 'failed', attempts: MAIL_RETRY_POLICY.maxAttempts });
    expect(row(deps, id).lastError).toMatch(/ECONNREFUSED/);

    // Failed stays failed, however long we wait.
    await sink.start();
    clock.advance(24 * 60 * 60_000);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });

    const requeued = requeueMail(deps, id, TEST_ACTOR);
    expect(requeued).toMatchObject({ status: 'pending', attempts: 0 });
    const audit = deps.sqlite
      .prepare("SELECT event_type, target_id, payload FROM audit_entries WHERE event_type = 'mail.requeued' ORDER BY seq DESC LIMIT 1")
      .get() as { event_type: string; target_id: string; payload: string };
    expect(audit.target_id).toBe(id);
    expect(JSON.parse(audit.payload)).toMatchObject({ template: 'password-reset', previousStatus: 'failed' });
    expect(audit.payload).not.toContain('one-time-secret');

    expect(await worker.drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(sink.messages).toHaveLength(1);
  });

  it('fails a message whose data breaks its template contract at once, without retrying', async () => {
    const { deps } = instance;
    const id = deps.sqlite.transaction(() => enqueueMail(deps, { template: 'password-reset', to: 'x@example.com', data: {} as never }))()!; // as a row from an older build could be
    expect(await createMailOutboxWorker(deps, transport).drain()).toEqual({ sent: 0, retried: 0, failed: 1 });
    expect(row(deps, id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row(deps, id).lastError).toMatch(/resetUrl/);
    expect(sink.messages).toHaveLength(0);
  });

  it('logs a failed send as a warning without the link or the SMTP credentials', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const deps = { ...instance.deps, logger };
    const id = queueReset(deps);
    await sink.stop();
    const withCredentials = createSmtpTransport(`smtp://mailer:smtp-password-9@127.0.0.1:${sink.port}`);
    expect(await createMailOutboxWorker(deps, withCredentials).drain()).toEqual({ sent: 0, retried: 1, failed: 0 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 40, msg: 'mail not sent; will retry', mailId: id, template: 'password-reset', attempts: 1 });
    expect(lines[0]).not.toContain('one-time-secret');
    expect(lines[0]).not.toContain('smtp-password-9');
  });

  it('sends a message again once the claim of a worker that died mid-send has lapsed', async () => {
    const { deps, clock } = instance;
    const id = queueReset(deps);
    // What a worker leaves behind when it is killed after claiming: attempts counted, due only after the lease.
    deps.sqlite
      .prepare("UPDATE mail_outbox SET attempts = 1, claim_token = 'dead-worker', next_attempt_at = ? WHERE id = ?")
      .run(clock.nowMs() + MAIL_RETRY_POLICY.leaseMs, id);
    const worker = createMailOutboxWorker(deps, transport);

    clock.advance(MAIL_RETRY_POLICY.leaseMs - 1);
    expect(await worker.drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(1);
    expect(await worker.drain()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(row(deps, id)).toMatchObject({ status: 'sent', attempts: 2, claimToken: null });
    expect(sink.messages).toHaveLength(1);
  });

  it('two workers on one database file (two connections) send each message exactly once', async () => {
    const { deps } = instance;
    const second = buildDeps({ config: deps.config, clock: instance.clock, masterKeys: deps.masterKeys, databaseFile: deps.sqlite.name });
    const secondTransport = createSmtpTransport(sink.url);
    try {
      const ids = Array.from({ length: 20 }, (_, i) => queueReset(deps, `user${i}@example.com`));
      const [a, b] = await Promise.all([
        createMailOutboxWorker(deps, transport).drain(),
        createMailOutboxWorker(second, secondTransport).drain(),
      ]);
      expect(a.sent + b.sent).toBe(20);
      // Both really worked: the claims interleave while sends are in flight.
      expect(a.sent).toBeGreaterThan(0);
      expect(b.sent).toBeGreaterThan(0);
      const received = sink.messages.map((m) => m.envelopeTo[0]).sort();
      expect(received).toEqual(ids.map((_, i) => `user${i}@example.com`).sort());
      expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(20);
    } finally {
      secondTransport.close();
      second.close();
    }
  });
});

describe('mail disabled (KIMAUTH_EMAIL_ENABLED=false)', () => {
  it('queues and sends nothing', async () => {
    const sink = await startSmtpSink();
    const instance = await createTestInstance({ config: { emailEnabled: false, smtpUrl: sink.url } });
    const transport = createSmtpTransport(sink.url);
    try {
      const { deps } = instance;
      const id = deps.sqlite.transaction(() => enqueueMail(deps, { template: 'account-approved', to: 'a@example.com', data: {} }))();
      expect(id).toBeNull();
      expect(listOutbox(deps)).toEqual([]);
      expect(await createMailOutboxWorker(deps, transport).drain()).toEqual({ sent: 0, retried: 0, failed: 0 });
      expect(sink.messages).toHaveLength(0);
    } finally {
      transport.close();
      instance.close();
      await sink.stop();
    }
  });
});
