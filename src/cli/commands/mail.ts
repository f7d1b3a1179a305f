import { Option, type Command } from 'commander';
import { cliActor } from '../../audit/actors.ts';
import { AppError, validationError } from '../../app/errors.ts';
import { listOutbox, mailOutboxDepth, MAIL_STATUSES, requeueFailedMail, requeueMail, type MailStatus } from '../../mail/outbox.ts';
import { createMailOutboxWorker } from '../../mail/outbox-worker.ts';
import type { MailOutboxRow } from '../../mail/tables.ts';
import type { CliContext } from '../context.ts';

/** A queue row for people and scripts. `data` is left out: it may hold a one-time link. */
function mailJson(row: MailOutboxRow) {
  return {
    id: row.id,
    template: row.template,
    to: row.toAddress,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    sentAt: row.sentAt?.toISOString() ?? null,
  };
}

export function registerMailCommand(program: Command, ctx: CliContext): void {
  const mail = program
    .command('mail')
    .description('outbound mail: inspect the outbox, requeue failed messages, send due messages now')
    .addHelpText(
      'after',
      '\nExamples:\n  $ kimauth mail outbox --status failed\n  $ kimauth mail retry --all-failed\n  $ kimauth mail drain',
    );

  mail
    .command('outbox')
    .description('list queued, sent and failed messages, newest first (message data is never shown)')
    .addOption(new Option('--status <status>', 'only messages with this status').choices(MAIL_STATUSES as string[]))
    .option('--limit <n>', 'at most this many rows', '100')
    .addHelpText('after', '\nExamples:\n  $ kimauth mail outbox\n  $ kimauth mail outbox --status pending --json')
    .action(async (opts: { status?: MailStatus; limit: string }, cmd: Command) =>
      ctx.withReadDeps(cmd, (deps, out) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw validationError('--limit must be a positive integer');
        const rows = listOutbox(deps, { status: opts.status, limit }).map(mailJson);
        out.result(rows, () =>
          out.table(rows, [
            { header: 'id', value: (r) => r.id },
            { header: 'template', value: (r) => r.template },
            { header: 'to', value: (r) => r.to },
            { header: 'status', value: (r) => r.status },
            { header: 'attempts', value: (r) => r.attempts },
            { header: 'next attempt', value: (r) => r.nextAttemptAt },
            { header: 'sent', value: (r) => r.sentAt },
            { header: 'last error', value: (r) => r.lastError },
          ]),
        );
        const depth = mailOutboxDepth(deps);
        out.note(`Outbox: ${depth.pending} pending (${depth.due} due), ${depth.failed} failed, ${depth.sent} sent`);
        if (!deps.config.emailEnabled) out.note('note: KIMAUTH_EMAIL_ENABLED is false; nothing is queued or sent');
      }),
    );

  mail
    .command('retry [id]')
    .description('requeue a failed (or waiting) message, due now with a fresh set of attempts')
    .option('--all-failed', 'requeue every failed message')
    .addHelpText('after', '\nExamples:\n  $ kimauth mail retry 0b5c…\n  $ kimauth mail retry --all-failed --json')
    .action(async (id: string | undefined, opts: { allFailed?: boolean }, cmd: Command) =>
      ctx.withDeps(cmd, (deps, out) => {
        if (Boolean(id) === Boolean(opts.allFailed)) throw validationError('Give a message id or --all-failed (one of them)');
        const rows = (id ? [requeueMail(deps, id, cliActor())] : requeueFailedMail(deps, cliActor())).map(mailJson);
        out.result(rows, () => out.line(`Requeued ${rows.length} message${rows.length === 1 ? '' : 's'}.`));
        if (!deps.config.emailEnabled) out.warn('KIMAUTH_EMAIL_ENABLED is false; requeued mail waits until it is enabled');
      }),
    );

  mail
    .command('drain')
    .description('send every due message now, once, through KIMAUTH_SMTP_URL (what `serve` does every 5 s)')
    .addHelpText('after', '\nExamples:\n  $ KIMAUTH_EMAIL_ENABLED=true KIMAUTH_SMTP_URL=smtp://localhost:25 kimauth mail drain --json')
    .action(async (_opts: unknown, cmd: Command) =>
      ctx.withDeps(cmd, async (deps, out) => {
        if (!deps.config.emailEnabled || !deps.config.smtpUrl) {
          throw new AppError('service_unavailable', 'Email is disabled: set KIMAUTH_EMAIL_ENABLED=true and KIMAUTH_SMTP_URL');
        }
        const result = await createMailOutboxWorker(deps).drain();
        out.result(result, () => out.line(`Sent ${result.sent}, will retry ${result.retried}, failed ${result.failed}.`));
      }),
    );
}
