import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/app/logger.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { enqueueMail, listOutbox } from '../../src/mail/outbox.ts';
import { MAIL_OUTBOX_JOB, MAIL_PURGE_JOB } from '../../src/mail/jobs.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

describe('mail jobs', () => {
  let sink: SmtpSink | undefined;
  let instance: TestInstance | undefined;
  afterEach(async () => {
    instance?.close();
    await sink?.stop();
  });

  it('drains the outbox every 5 seconds when email is enabled, and purges sent mail after 30 days', async () => {
    sink = await startSmtpSink();
    instance = await createTestInstance({ config: { emailEnabled: true, smtpUrl: sink.url } });
    const { deps, clock } = instance;
    const scheduler = createScheduler(silentLogger());
    registerJobs(scheduler, deps);
    expect(scheduler.status().find((j) => j.name === MAIL_OUTBOX_JOB)?.cronTime).toBe('*/5 * * * * *');

    deps.sqlite.transaction(() => enqueueMail(deps, { template: 'account-deleted', to: 'gone@example.com', data: { fullName: 'Gone' } }))();
    await scheduler.runNow(MAIL_OUTBOX_JOB);
    expect(sink.messages.map((m) => [m.envelopeTo[0], m.subject])).toEqual([['gone@example.com', 'Your kimauth account was deleted']]);

    clock.advance(29 * 24 * 60 * 60_000);
    await scheduler.runNow(MAIL_PURGE_JOB);
    expect(listOutbox(deps)).toHaveLength(1);
    clock.advance(2 * 24 * 60 * 60_000);
    await scheduler.runNow(MAIL_PURGE_JOB);
    expect(listOutbox(deps)).toEqual([]);
    const purged = deps.sqlite.prepare("SELECT payload FROM audit_entries WHERE event_type = 'mail.purged'").all() as { payload: string }[];
    expect(purged.map((p) => JSON.parse(p.payload).deleted)).toEqual([1]);
  });

  it('registers no outbox drain when email is disabled', async () => {
    instance = await createTestInstance();
    const scheduler = createScheduler(silentLogger());
    registerJobs(scheduler, instance.deps);
    expect(scheduler.status().map((j) => j.name)).not.toContain(MAIL_OUTBOX_JOB);
  });
});
