import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/app/clock.ts';
import { loadConfig } from '../../src/app/config.ts';
import { buildDeps } from '../../src/app/deps.ts';
import { enqueueMail } from '../../src/mail/outbox.ts';
import { MAIL_RETRY_POLICY, retryDelayMs } from '../../src/mail/outbox-worker.ts';
import { cli } from '../support/cli.ts';
import { tempDir } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

interface MailJson {
  id: string;
  template: string;
  to: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

describe('CLI: mail outbox | retry | drain', () => {
  const clock = fixedClock('2026-03-01T12:00:00Z');
  let dir: { path: string; remove(): void };
  let dataDir: string;
  let sink: SmtpSink;
  let env: NodeJS.ProcessEnv;
  const run = (...argv: string[]) => cli(['--data-dir', dataDir, ...argv], { env, clock });

  beforeAll(async () => {
    dir = tempDir();
    dataDir = path.join(dir.path, 'data');
    sink = await startSmtpSink();
    env = { KIMAUTH_EMAIL_ENABLED: 'true', KIMAUTH_SMTP_URL: sink.url };
    expect((await run('init', '--yes', '--admin-email', 'ops@example.com')).code).toBe(0);
  });
  afterAll(async () => {
    await sink.stop();
    dir.remove();
  });

  it('lists the queue without the one-time link, gives up after the last attempt, and requeues on `mail retry`', async () => {
    // The queue is filled by the services (as registration or password reset would do), on the same data dir.
    const deps = buildDeps({ config: loadConfig({ flags: { dataDir }, env }), clock });
    const id = deps.sqlite.transaction(() =>
      enqueueMail(deps, { template: 'password-reset', to: 'jane@example.com', data: { resetUrl: 'https://app.example.com/reset-password?token=tok-123' } }),
    )()!;
    deps.close();

    const pending = await run('mail', 'outbox', '--json');
    expect(pending.code).toBe(0);
    expect(pending.json<MailJson[]>()).toEqual([expect.objectContaining({ id, template: 'password-reset', to: 'jane@example.com', status: 'pending', attempts: 0 })]);
    expect(pending.stdout).not.toContain('tok-123');

    await sink.stop();
    for (let attempt = 1; attempt <= MAIL_RETRY_POLICY.maxAttempts; attempt++) {
      const drained = await run('mail', 'drain', '--json');
      expect(drained.code).toBe(0);
      expect(drained.json()).toEqual(attempt < MAIL_RETRY_POLICY.maxAttempts ? { sent: 0, retried: 1, failed: 0 } : { sent: 0, retried: 0, failed: 1 });
      clock.advance(retryDelayMs(attempt));
    }
    const failed = await run('mail', 'outbox', '--status', 'failed');
    expect(failed.code).toBe(0);
    expect(failed.stdout).toContain(id);
    expect(failed.stdout).toMatch(/ECONNREFUSED/);
    expect((await run('mail', 'outbox', '--status', 'pending', '--json')).json()).toEqual([]);

    expect((await run('mail', 'retry')).code).toBe(2);
    expect((await run('mail', 'retry', id, '--all-failed')).code).toBe(2);
    const missing = await run('mail', 'retry', 'no-such-id');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/not found/);

    const retried = await run('mail', 'retry', '--all-failed', '--json');
    expect(retried.code).toBe(0);
    expect(retried.json<MailJson[]>()).toEqual([expect.objectContaining({ id, status: 'pending', attempts: 0 })]);

    await sink.start();
    const drained = await run('mail', 'drain', '--json');
    expect(drained.json()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(sink.messages).toHaveLength(1);
    expect(sink.messages[0].text).toContain('https://app.example.com/reset-password?token=tok-123');

    const sent = await run('mail', 'outbox', '--json');
    expect(sent.json<MailJson[]>()).toEqual([expect.objectContaining({ id, status: 'sent' })]);
    // A sent message cannot be requeued.
    expect((await run('mail', 'retry', id)).code).toBe(1);

    const audit = buildDeps({ config: loadConfig({ flags: { dataDir }, env }), clock });
    const entries = audit.sqlite.prepare("SELECT actor_type, channel, target_id FROM audit_entries WHERE event_type = 'mail.requeued'").all();
    audit.close();
    expect(entries).toEqual([{ actor_type: 'operator', channel: 'cli', target_id: id }]);
  });

  it('refuses bad options as usage errors and `drain` while email is disabled', async () => {
    expect((await run('mail', 'outbox', '--status', 'lost')).code).toBe(2);
    expect((await run('mail', 'outbox', '--limit', '0')).code).toBe(2);
    const disabled = await cli(['--data-dir', dataDir, 'mail', 'drain'], { env: {}, clock });
    expect(disabled.code).toBe(1);
    expect(disabled.stderr).toMatch(/KIMAUTH_EMAIL_ENABLED/);
    const help = await run('mail', 'outbox', '--help');
    expect(help.stdout).toContain('Examples:');
  });
});
