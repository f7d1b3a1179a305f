import { afterEach, describe, expect, it } from 'vitest';
import { buildDeps, type Deps } from '../../src/app/deps.ts';
import { silentLogger } from '../../src/app/logger.ts';
import { createScheduler } from '../../src/jobs/scheduler.ts';
import { registerJobs } from '../../src/jobs/registry.ts';
import { MAIL_OUTBOX_JOB } from '../../src/mail/jobs.ts';
import { enqueueMail, listOutbox } from '../../src/mail/outbox.ts';
import type { MailTransport, OutgoingMessage } from '../../src/mail/transport.ts';
import { checkSmtp } from '../../src/operations/doctor/checks.ts';
import { createTestInstance, type TestInstance } from '../support/deps.ts';
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.ts';

describe('deps.mailTransport: one transport per Deps, injectable like deps.http', () => {
  let sink: SmtpSink | undefined;
  let instance: TestInstance | undefined;
  let injected: Deps | undefined;
  afterEach(async () => {
    injected?.close();
    instance?.close();
    await sink?.stop();
    injected = instance = sink = undefined;
  });

  it('the mail job sends through a transport given to buildDeps, not through KIMAUTH_SMTP_URL', async () => {
    instance = await createTestInstance();
    const sent: OutgoingMessage[] = [];
    let closed = 0;
    const recorder: MailTransport = { send: async (m) => void sent.push(m), close: () => void closed++ };
    injected = buildDeps({
      // An SMTP URL nothing listens on: a send that went there would be retried, not recorded.
      config: { ...instance.deps.config, emailEnabled: true, smtpUrl: 'smtp://127.0.0.1:9' },
      clock: instance.clock,
      masterKeys: instance.deps.masterKeys,
      databaseFile: instance.deps.sqlite.serialize(),
      mailTransport: recorder,
    });
    expect(injected.mailTransport).toBe(recorder);
    const deps = injected;
    deps.sqlite.transaction(() => enqueueMail(deps, { template: 'account-deleted', to: 'gone@example.com', data: { fullName: 'Gone' } }))();
    const scheduler = createScheduler(silentLogger());
    registerJobs(scheduler, deps);
    await scheduler.runNow(MAIL_OUTBOX_JOB);
    expect(sent.map((m) => [m.to, m.subject])).toEqual([['gone@example.com', 'Your kimauth account was deleted']]);
    expect(listOutbox(deps).map((m) => m.status)).toEqual(['sent']);
    expect(closed).toBeGreaterThan(0);
  });

  it('with mail off the default transport refuses to send', async () => {
    instance = await createTestInstance();
    await expect(instance.deps.mailTransport.send({ from: 'a@example.com', to: 'b@example.com', subject: 's', html: '', text: '', messageId: '<x@y>' }))
      .rejects.toThrow(/Email is disabled/);
  });

  it("doctor's SMTP check asks the mail context: ok while the server answers, fail once it is gone", async () => {
    sink = await startSmtpSink();
    instance = await createTestInstance({ config: { emailEnabled: true, smtpUrl: sink.url } });
    const check = () => checkSmtp({ config: instance!.deps.config, nowMs: instance!.clock.nowMs(), deps: undefined, timeoutMs: 2_000 });
    expect(await check()).toMatchObject({ name: 'smtp', status: 'ok', message: `127.0.0.1:${sink.port} accepts a connection` });
    await sink.stop();
    expect(await check()).toMatchObject({ name: 'smtp', status: 'fail', message: expect.stringContaining(`127.0.0.1:${sink.port}`) });
  });
});
